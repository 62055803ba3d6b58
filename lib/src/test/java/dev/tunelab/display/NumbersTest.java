package dev.tunelab.display;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;
import org.junit.jupiter.api.Test;

class NumbersTest {
    @Test void fractionsGetFourSignificantDigits() {
        assertEquals("0.2249", Numbers.format(0.22489087820053105));
        assertEquals("22.96", Numbers.format(22.9602));
        assertEquals("7.692", Numbers.format(7.692));
        assertEquals("116.9", Numbers.format(116.9231));
        assertEquals("0.002827", Numbers.format(0.0028269089584906293));
        assertEquals("-1.492", Numbers.format(-1.4922355122114954));
    }

    @Test void noPaddingZerosOnALoneNumber() {
        assertEquals("0.5", Numbers.format(0.5));
        assertEquals("10", Numbers.format(9.99996), "rounds up to the next power of ten");
        assertEquals("0.1", Numbers.format(0.099996));
    }

    @Test void wholeNumbersAndLargeFractionsKeepTheirWholeDigitsGrouped() {
        assertEquals("590,688", Numbers.format(590688L));
        assertEquals("590,688", Numbers.format(590688.0));
        assertEquals("12,346", Numbers.format(12345.67));
        assertEquals("0", Numbers.format(-0.0));
        assertEquals("-3", Numbers.format(-3L));
    }

    @Test void extremeMagnitudesAreScientific() {
        assertEquals("1.5e-05", Numbers.format(1.5e-5));
        assertEquals("1.235e-07", Numbers.format(1.23456e-7));
        assertEquals("2e+20", Numbers.format(2e20));
        assertEquals("0.0001", Numbers.format(1e-4), "the smallest plain magnitude");
    }

    @Test void missingAndInfinite() {
        assertEquals(Numbers.MISSING, Numbers.format(Double.NaN));
        assertEquals(Numbers.MISSING, Numbers.format((Object) null));
        assertEquals("∞", Numbers.format(Double.POSITIVE_INFINITY));
        assertEquals("-∞", Numbers.format(Double.NEGATIVE_INFINITY));
    }

    @Test void objectsByType() {
        assertEquals("1,024", Numbers.format((Object) 1024));
        assertEquals("0.3333", Numbers.format((Object) (1.0 / 3)));
        assertEquals("LoRA", Numbers.format((Object) "LoRA"));
    }

    @Test void theDefaultLocaleDoesNotMatter() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("12,346", Numbers.format(12345.67));
            assertEquals("0.2249", Numbers.format(0.22489));
            assertEquals("22.96", Numbers.column(22.9602, 7.692).apply(22.9602));
        } finally {
            Locale.setDefault(before);
        }
    }

    private static List<String> column(double... values) {
        DoubleFunction<String> f = Numbers.column(values);
        return Arrays.stream(values).mapToObj(f).toList();
    }

    @Test void aColumnSharesItsDecimals() {
        assertEquals(List.of("22.96", "7.69"), column(22.9602, 7.692));
        assertEquals(List.of("0.225", "22.960", "7.692"), column(0.22489087820053105, 22.9602, 7.692));
        assertEquals(List.of("1.492", "1.561", "0.987"), column(1.4922355122114954, 1.5610759745476008, 0.98700001));
        assertEquals(List.of("0.0001", "0.0003", "0.0010"), column(1e-4, 3e-4, 1e-3), "learning rates");
        assertEquals(List.of("2.0", "2.5", Numbers.MISSING), column(2, 2.5, Double.NaN));
        // a metric/value table: 2 decimals, which its median value (12) needs for 4 significant digits
        assertEquals(List.of("35.44", "116.92", "0.39", "6.36", "12.00"), column(35.4437, 116.9231, 0.385, 6.359, 12));
    }

    @Test void aWholeColumnIsGroupedIntegers() {
        assertEquals(List.of("40,704", "651,264", Numbers.MISSING), column(40704, 651264, Double.NaN));
    }

    @Test void aColumnOfDifferentQuantitiesFormatsEachValue() {
        // shared decimals would show 0.001 (1 significant digit) or 1.50000 (6 noise digits)
        assertEquals(List.of("1.5", "0.001234"), column(1.5, 0.0012341));
        assertEquals(List.of("1,234,568", "0.5"), column(1234567.8, 0.5));
    }

    @Test void aColumnNeverShowsMoreThanSixSignificantDigits() {
        for (double[] values : new double[][] {{116.9231, 6.359, 0.385}, {0.22489087820053105, 22.9602, 7.692},
                {1.4922355122114954, 1e-4, 48.902607078590556}, {3.3333333, 333.33333}}) {
            DoubleFunction<String> f = Numbers.column(values);
            for (double v : values) {
                String digits = f.apply(v).replaceAll("[^0-9]", "").replaceFirst("^0+", "");
                assertTrue(digits.length() <= Numbers.MAX_SIGNIFICANT, f.apply(v) + " in " + Arrays.toString(values));
            }
        }
    }

    @Test void compactAxisLabels() {
        assertEquals(List.of("1", "2", "64", "10k", "100k", "1M", "2.5M", "1M"),
                List.of(1.0, 2.0, 64.0, 1e4, 1e5, 1e6, 2.5e6, 999_999.0).stream().map(Numbers::compact).toList());
        assertEquals(List.of("0.001", "0.01", "1e-4", "3e-5", "0.5"),
                List.of(1e-3, 1e-2, 1e-4, 3e-5, 0.5).stream().map(Numbers::compact).toList());
    }
}
