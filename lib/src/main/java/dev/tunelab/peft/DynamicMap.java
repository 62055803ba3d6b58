package dev.tunelab.peft;

import java.util.ArrayList;
import java.util.List;

/**
 * The signed 8-bit dynamic quantization map of bitsandbytes (Dettmers et al. 2022, "8-bit
 * optimizers via block-wise quantization"; functional.py create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8)). For exponent i = 0..6 it takes the midpoints of
 * 2^i + 1 evenly spaced points in [0.1, 1], scaled by 10^(i - 6), with both signs, then 0 and 1:
 * 256 values, dense near zero. QLoRA's double quantization stores the block absmax constants in it.
 */
final class DynamicMap {
    private DynamicMap() {}

    static final float[] SIGNED = build();

    private static float[] build() {
        List<Double> data = new ArrayList<>();
        int maxExponentBits = 7;
        for (int i = 0; i < maxExponentBits; i++) {
            int fractionItems = (1 << i) + 1;
            double scale = Math.pow(10, -(maxExponentBits - 1) + i);
            for (int k = 0; k < fractionItems - 1; k++) {
                // torch.linspace(0.1, 1, n) in float32, then the mean of neighbours
                double lo = (float) (0.1 + (1 - 0.1) * k / (fractionItems - 1));
                double hi = (float) (0.1 + (1 - 0.1) * (k + 1) / (fractionItems - 1));
                double mean = (float) ((float) (lo + hi) / 2);
                data.add(scale * mean);
                data.add(-scale * mean);
            }
        }
        data.add(0.0);
        data.add(1.0);
        float[] out = new float[data.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (double) data.get(i);
        }
        java.util.Arrays.sort(out);
        if (out.length != 256) {
            throw new AssertionError("dynamic map has " + out.length + " values");
        }
        return out;
    }
}
