package dev.tunelab.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tunelab.model.Autograd;

/**
 * The machine's practical fp32 peak: the best time of a large square matrix product through the
 * same engine (DJL's libtorch) and thread count as training, at 2 n^3 FLOPs per product.
 */
public record MatmulPeak(int size, int repeats, double bestSeconds) {

    public static MatmulPeak measure(int size, int repeats) {
        if (size < 1 || repeats < 1) {
            throw new IllegalArgumentException("matmul size and repeats must be >= 1, got " + size + ", " + repeats);
        }
        return Autograd.noGrad(() -> {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray a = m.randomNormal(0, 1, new Shape(size, size), DataType.FLOAT32);
                NDArray b = m.randomNormal(0, 1, new Shape(size, size), DataType.FLOAT32);
                for (int i = 0; i < 2; i++) { // warm-up: thread pool start, first-touch of the output pages
                    a.matMul(b).close();
                }
                double best = Double.POSITIVE_INFINITY;
                for (int i = 0; i < repeats; i++) {
                    long start = System.nanoTime();
                    a.matMul(b).close(); // the CPU engine computes eagerly: the product is done when matMul returns
                    best = Math.min(best, (System.nanoTime() - start) / 1e9);
                }
                return new MatmulPeak(size, repeats, best);
            }
        });
    }

    public double flops() {
        return 2.0 * size * size * (double) size;
    }

    public double flopsPerSecond() {
        return flops() / bestSeconds;
    }
}
