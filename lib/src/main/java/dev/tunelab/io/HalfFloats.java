package dev.tunelab.io;

/**
 * Conversions between {@code float}/{@code double} and the two 16-bit float formats of
 * checkpoints: IEEE 754 binary16 ("fp16", {@code F16}) and bfloat16 ({@code BF16}), held as the
 * raw bits in a {@code short}.
 *
 * <p>Narrowing conversions round to nearest, ties to even, as PyTorch does; overflow gives
 * infinity, tiny values become subnormals or signed zero, NaN stays NaN (quiet, sign and the
 * leading payload bits kept). Widening conversions are exact.
 *
 * <p>Plain Java on purpose: DJL's PyTorch engine aborts the JVM on bf16 arrays, and
 * {@code Float.floatToFloat16} only exists from Java 20 on.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** Widens fp16 bits to the exactly equal float. */
    public static float halfToFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            // Inf or NaN: keep the payload in the top mantissa bits.
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // Zero or subnormal: mant units of 2^-24, exactly representable as a float.
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        // Rebias the exponent from 15 to 127.
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Narrows a float to fp16 bits, rounding to nearest even. */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {
            // >= 65520, the midpoint between 65504 (max, odd mantissa) and 2^16: rounds to Inf.
            return (short) (sign | 0x7c00);
        }
        if (abs < 0x38800000) {
            // Below 2^-14, the smallest normal half: result is subnormal (or rounds up to it).
            if (abs <= 0x33000000) {
                // <= 2^-25, at most half the smallest subnormal: ties to even give zero.
                return (short) sign;
            }
            int e = abs >>> 23;
            int m = (abs & 0x7fffff) | 0x800000;
            // value = m * 2^(e-150); in units of 2^-24 that is m >> (126 - e).
            return (short) (sign | roundShiftRightEven(m, 126 - e));
        }
        // Normal: rebias exponent, drop 13 mantissa bits with rounding; a carry into the
        // exponent field is the correct result (it also yields Inf at the top, excluded above).
        int h = ((abs >>> 23) - 112) << 10 | ((abs & 0x7fffff) >>> 13);
        int rest = abs & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
            h++;
        }
        return (short) (sign | h);
    }

    /** Widens bf16 bits to the exactly equal float (bf16 is the top half of a float). */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    /** Narrows a float to bf16 bits, rounding to nearest even. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            // NaN: truncating could clear every payload bit and make Inf, so force quiet bit.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7fff plus the lsb of the kept half rounds ties to even; overflow carries into
        // the exponent and gives Inf exactly when it should.
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** Narrows a double to fp16 bits with a single rounding (nearest even). */
    public static short doubleToHalf(double value) {
        return floatToHalf(toFloatRoundToOdd(value));
    }

    /** Narrows a double to bf16 bits with a single rounding (nearest even). */
    public static short doubleToBf16(double value) {
        return floatToBf16(toFloatRoundToOdd(value));
    }

    /**
     * Converts to float rounding to odd, so that a second rounding to a format with at least two
     * fewer significand bits equals a direct rounding (no double-rounding error).
     */
    static float toFloatRoundToOdd(double value) {
        float f = (float) value;
        if (Double.isNaN(value) || (double) f == value) {
            return f;
        }
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 1) != 0) {
            return f;
        }
        if (Float.isInfinite(f)) {
            // value was finite but beyond float range: the odd neighbour toward it is MAX_VALUE.
            return Math.copySign(Float.MAX_VALUE, f);
        }
        // f was rounded to even; step one ulp toward value to get the odd neighbour.
        boolean tooBig = Math.abs((double) f) > Math.abs(value);
        return Float.intBitsToFloat(tooBig ? bits - 1 : bits + 1);
    }

    private static int roundShiftRightEven(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (kept & 1) != 0)) {
            kept++;
        }
        return kept;
    }
}
