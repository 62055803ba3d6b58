package dev.tunelab.generate;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * e^x on every lane of a float vector, for softmax and SiLU, about ten times faster than
 * {@code Math.exp} per element. Cody and Waite's range reduction x = n ln 2 + r with |r| <= ln 2 / 2,
 * then Cephes' single-precision polynomial for e^r (Moshier, expf.c) and 2^n from the exponent bits.
 * It uses only exactly rounded lane operations (no library call, no horizontal step), so a lane's
 * result is the same in every JIT tier and for every vector width. Relative error below 3e-7;
 * inputs are clamped to [-87.3, 88], so the result never overflows or goes subnormal.
 */
final class VectorExp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HIGH = 0.693359375f; // ln 2 split so that n * LN2_HIGH is exact
    private static final float LN2_LOW = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding and subtracting it rounds to an integer
    private static final float MIN = -87.3f;
    private static final float MAX = 88.0f; // n = 127 at most: 2^n stays finite

    private VectorExp() {}

    static FloatVector exp(FloatVector x) {
        VectorSpecies<Float> species = x.species();
        x = x.max(MIN).min(MAX);
        FloatVector shifted = x.mul(LOG2E).add(ROUND); // round(x / ln 2) sits in the low bits of the mantissa
        FloatVector n = shifted.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(species, -LN2_HIGH), x).add(n.mul(-LN2_LOW)); // x - n ln 2, in two parts
        // e^r = 1 + r + r^2 (1/2 + r/6 + ...): Cephes expf's coefficients
        FloatVector p = r.fma(FloatVector.broadcast(species, 1.9875691500e-4f), FloatVector.broadcast(species, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(species, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(species, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(species, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(species, 5.0000001201e-1f));
        p = p.mul(r.mul(r)).add(r).add(1f);
        // 2^n: the exponent field n + 127, taken from those low bits (no float-to-int conversion)
        IntVector bits = shifted.reinterpretAsInts().add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }
}
