package dev.tunelab.peft;

import dev.tunelab.display.MimeBundles;
import dev.tunelab.display.Renderable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Bytes of a set of weight matrices in fp32, bf16, int8, NF4 and NF4 with double quantization
 * (block 64, second-level block 256), and the bits each format spends per parameter. QLoRA's
 * figure for NF4 + double quantization is 4 + 8/64 + 32/(64 * 256) = 4.127 bits (Dettmers et al.
 * 2023, section 3); without it 4 + 32/64 = 4.5.
 */
public record WeightMemory(long parameters, Map<String, Long> bytes) implements Renderable {
    public static WeightMemory of(long... tensorSizes) {
        long params = 0;
        Map<String, Long> b = new LinkedHashMap<>();
        b.put("fp32", 0L);
        b.put("bf16", 0L);
        b.put("int8", 0L);
        b.put("int4", 0L);
        b.put("nf4", 0L);
        b.put("nf4+dq", 0L);
        for (long n : tensorSizes) {
            params += n;
            b.merge("fp32", 4 * n, Long::sum);
            b.merge("bf16", 2 * n, Long::sum);
            b.merge("int8", BlockQuantized.storageBytes(n, QuantFormat.INT8, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("int4", BlockQuantized.storageBytes(n, QuantFormat.INT4, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("nf4", BlockQuantized.storageBytes(n, QuantFormat.NF4, BlockQuantized.BLOCK, false), Long::sum);
            b.merge("nf4+dq", BlockQuantized.storageBytes(n, QuantFormat.NF4, BlockQuantized.BLOCK, true), Long::sum);
        }
        return new WeightMemory(params, Map.copyOf(b));
    }

    public long bytes(String format) {
        Long v = bytes.get(format);
        if (v == null) {
            throw new IllegalArgumentException("unknown format '" + format + "'; formats are " + bytes.keySet());
        }
        return v;
    }

    public double bitsPerParameter(String format) {
        return parameters == 0 ? 0 : 8.0 * bytes(format) / parameters;
    }

    private static final String[] ORDER = {"fp32", "bf16", "int8", "int4", "nf4", "nf4+dq"};

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(String.format("%,d parameters%n", parameters));
        for (String f : ORDER) {
            s.append(String.format("%-7s %,14d bytes  %.3f bits/param%n", f, bytes(f), bitsPerParameter(f)));
        }
        return s.toString();
    }

    @Override
    public Map<String, String> mimeBundle() {
        StringBuilder h = new StringBuilder("<table><tr><th>format</th><th>bytes</th><th>bits / parameter</th></tr>");
        for (String f : ORDER) {
            h.append(String.format("<tr><td>%s</td><td>%,d</td><td>%.3f</td></tr>", f, bytes(f), bitsPerParameter(f)));
        }
        h.append("</table>");
        Map<String, String> b = new LinkedHashMap<>();
        b.put(MimeBundles.HTML, h.toString());
        b.put(MimeBundles.TEXT, toString());
        return b;
    }
}
