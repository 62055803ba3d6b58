package dev.tunelab.io;

import static dev.tunelab.io.HalfFloats.bf16ToFloat;
import static dev.tunelab.io.HalfFloats.doubleToBf16;
import static dev.tunelab.io.HalfFloats.doubleToHalf;
import static dev.tunelab.io.HalfFloats.floatToBf16;
import static dev.tunelab.io.HalfFloats.floatToHalf;
import static dev.tunelab.io.HalfFloats.halfToFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Edge values of the 16-bit conversions against known bit patterns. */
class SafeTensorsHalfFloatsTest {

    private static void half(int expectedBits, float in) {
        assertEquals(expectedBits, floatToHalf(in) & 0xffff,
                () -> "fp16 of " + in + " (0x" + Integer.toHexString(Float.floatToRawIntBits(in))
                        + ") got 0x" + Integer.toHexString(floatToHalf(in) & 0xffff));
    }

    private static void bf16(int expectedBits, int floatBits) {
        float in = Float.intBitsToFloat(floatBits);
        assertEquals(expectedBits, floatToBf16(in) & 0xffff,
                () -> "bf16 of 0x" + Integer.toHexString(floatBits) + " got 0x"
                        + Integer.toHexString(floatToBf16(in) & 0xffff));
    }

    private static void sameBits(float expected, float actual) {
        assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual),
                () -> "expected " + expected + " got " + actual);
    }

    @Test
    void halfToFloatKnownPatterns() {
        sameBits(1.0f, halfToFloat((short) 0x3c00));
        sameBits(-2.0f, halfToFloat((short) 0xc000));
        sameBits(65504f, halfToFloat((short) 0x7bff));
        sameBits(0x1p-14f, halfToFloat((short) 0x0400)); // smallest normal
        sameBits(0x1p-24f, halfToFloat((short) 0x0001)); // smallest subnormal
        sameBits(1023 * 0x1p-24f, halfToFloat((short) 0x03ff)); // largest subnormal
        sameBits(-0.0f, halfToFloat((short) 0x8000));
        sameBits(0.333251953125f, halfToFloat((short) 0x3555));
        sameBits(Float.POSITIVE_INFINITY, halfToFloat((short) 0x7c00));
        sameBits(Float.NEGATIVE_INFINITY, halfToFloat((short) 0xfc00));
        assertTrue(Float.isNaN(halfToFloat((short) 0x7e00)));
        assertTrue(Float.isNaN(halfToFloat((short) 0x7c01))); // signalling NaN stays NaN
    }

    @Test
    void floatToHalfRoundsToNearestEven() {
        half(0x3c00, 1.0f);
        half(0x2e66, 0.1f);
        half(0x7bff, 65504f);
        half(0x7bff, 65519.996f); // just below the midpoint to 2^16
        half(0x7c00, 65520f); // midpoint, max is odd: rounds to Inf
        half(0x7c00, 1e30f);
        half(0xfc00, Float.NEGATIVE_INFINITY);
        half(0x3c00, 1f + 0x1p-11f); // tie, keeps even 0x3c00
        half(0x3c02, 1f + 3 * 0x1p-11f); // tie, 0x3c01 is odd: rounds up
        half(0x3c01, Math.nextUp(1f + 0x1p-11f)); // above the tie
        half(0x0000, 0x1p-25f); // half the smallest subnormal: tie to even zero
        half(0x0001, Math.nextUp(0x1p-25f));
        half(0x0001, 0x1p-24f);
        half(0x0002, 1.5f * 0x1p-24f); // tie between 1 and 2 units: even 2
        half(0x0002, 2.5f * 0x1p-24f); // tie between 2 and 3 units: even 2
        half(0x0400, 1023.5f * 0x1p-24f); // largest subnormal + half ulp: carries to min normal
        half(0x0400, 0x1p-14f);
        half(0x8000, -0.0f);
        half(0x8000, -1e-30f);
        half(0x7e00, Float.NaN);
        half(0xfe00, Float.intBitsToFloat(0xffc00000)); // negative NaN keeps its sign
        // signalling NaN whose payload is only in low bits must not become Inf
        assertTrue(Float.isNaN(halfToFloat(floatToHalf(Float.intBitsToFloat(0x7f800001)))));
    }

    @Test
    void halfRoundTripIsExactForAllHalfValues() {
        for (int h = 0; h < 0x10000; h++) {
            float f = halfToFloat((short) h);
            if (Float.isNaN(f)) {
                continue;
            }
            assertEquals(h, floatToHalf(f) & 0xffff, "bits 0x" + Integer.toHexString(h));
        }
    }

    @Test
    void bf16KnownPatterns() {
        sameBits(1.0f, bf16ToFloat((short) 0x3f80));
        sameBits(Float.intBitsToFloat(0x00010000), bf16ToFloat((short) 0x0001)); // subnormal
        sameBits(Float.NEGATIVE_INFINITY, bf16ToFloat((short) 0xff80));
        bf16(0x3f80, 0x3f800000);
        bf16(0x4049, 0x40490fdb); // pi truncates down
        bf16(0x3f80, 0x3f808000); // tie, keeps even
        bf16(0x3f82, 0x3f818000); // tie, odd rounds up
        bf16(0x3f81, 0x3f808001);
        bf16(0x7f80, 0x7f7fffff); // MAX_VALUE rounds to Inf
        bf16(0x7f7f, 0x7f7f7fff);
        bf16(0x7f80, 0x7f800000);
        bf16(0xff80, 0xff800000);
        bf16(0x0000, 0x00008000); // subnormal tie to even zero
        bf16(0x0002, 0x00018000);
        bf16(0x8000, 0x80000000);
        bf16(0x7fc0, 0x7fc00000);
        bf16(0x7fc0, 0x7f800001); // signalling NaN with low payload stays NaN, not Inf
        bf16(0xffc0, 0xff800001);
    }

    @Test
    void doubleNarrowingRoundsOnce() {
        // 1 + 2^-8 is the bf16 midpoint between 1 and 1 + 2^-7; the extra 2^-40 decides upward.
        // Going through float first would drop 2^-40 and then round the tie down to 1.
        assertEquals(0x3f81, doubleToBf16(1.0 + 0x1p-8 + 0x1p-40) & 0xffff);
        assertEquals(0x3f80, doubleToBf16(1.0 + 0x1p-8) & 0xffff);
        assertEquals(0x3f80, doubleToBf16(1.0 + 0x1p-8 - 0x1p-40) & 0xffff);
        assertEquals(0x3c01, doubleToHalf(1.0 + 0x1p-11 + 0x1p-40) & 0xffff);
        assertEquals(0x3c00, doubleToHalf(1.0 + 0x1p-11) & 0xffff);
        assertEquals(0x7f80, doubleToBf16(1e300) & 0xffff);
        assertEquals(0x7c00, doubleToHalf(-1e300) & 0xffff ^ 0x8000);
        assertEquals(0x0001, doubleToHalf(0x1p-25 + 0x1p-60) & 0xffff);
        assertEquals(0x8000, doubleToHalf(-1e-300) & 0xffff);
        assertEquals(0x7fc0, doubleToBf16(Double.NaN) & 0xffff);
    }
}
