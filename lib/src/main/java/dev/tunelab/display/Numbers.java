package dev.tunelab.display;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * How numbers read in tables, text and chart labels, the same everywhere in tunelab:
 *
 * <ul>
 *   <li>fractions to {@value #SIGNIFICANT} significant digits ({@code 0.2249}, {@code 22.96},
 *       {@code 0.002827}); the digits after that are run-to-run noise in a training result;
 *   <li>whole numbers (counts, steps, also whole-valued doubles) in full with thousands separators
 *       ({@code 590,688}); so are the whole digits of large fractions ({@code 12,346});
 *   <li>very small or very large magnitudes in scientific notation ({@code 1.5e-05});
 *   <li>a missing value (NaN) as {@value #MISSING}.
 * </ul>
 *
 * A table column uses {@link #column}: one number of decimals for the whole column, so
 * {@code 22.9602} and {@code 7.692} read {@code 22.96} and {@code 7.69}. Output never depends on the
 * default locale: the decimal mark is a dot and the grouping mark a comma.
 */
public final class Numbers {
    /** Significant digits of a fraction. */
    public static final int SIGNIFICANT = 4;
    /** A number with decimals never shows more significant digits than this; more is noise. */
    public static final int MAX_SIGNIFICANT = 6;
    /** What a missing value (NaN) shows as. */
    public static final String MISSING = "–";

    /** Below this magnitude (and above {@link #LARGE}) a lone number is scientific. */
    private static final double SMALL = 1e-4;
    /** Whole numbers up to here print every digit; doubles hold integers exactly below 2^53 ≈ 9e15. */
    private static final double LARGE = 1e15;
    /** Fewest significant digits a shared number of decimals may leave a value in a column. */
    private static final int MIN_COLUMN_SIGNIFICANT = 2;

    private Numbers() {}

    /** {@code 0.2249}, {@code 22.96}, {@code 590,688}, {@code 1.5e-05}, {@value #MISSING} for NaN. */
    public static String format(double value) {
        if (!Double.isFinite(value)) return nonFinite(value);
        if (value == 0) return "0";
        if (isWhole(value)) return grouped(value, 0);
        double magnitude = Math.abs(value);
        if (magnitude < SMALL || magnitude >= LARGE) return scientific(value);
        // the decimals that 4 significant digits need; whole digits are kept (12,346, not 12,350)
        return grouped(value, decimals(value));
    }

    /** A count with thousands separators: {@code 590,688}. */
    public static String format(long value) {
        return pattern(0).format(value);
    }

    /** A number, or {@code String.valueOf} for anything else; null and NaN show as {@value #MISSING}. */
    public static String format(Object value) {
        if (value == null) return MISSING;
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return format(((Number) value).longValue());
        }
        if (value instanceof Number n) return format(n.doubleValue());
        return String.valueOf(value);
    }

    /**
     * A formatter for one table column holding {@code values}: whole numbers with separators when
     * every value is whole; otherwise one number of decimals for every value, the number that gives
     * the column's median value {@value #SIGNIFICANT} significant digits (no more than any value
     * needs, so 0.0001 and 0.0003 stay short). When that would leave a value with fewer than {@value
     * #MIN_COLUMN_SIGNIFICANT} significant digits, or the largest with more than {@value
     * #MAX_SIGNIFICANT}, the column holds different quantities (a metric/value table) and each value
     * is formatted on its own.
     */
    public static DoubleFunction<String> column(double... values) {
        double[] nonZero = Arrays.stream(values).filter(v -> Double.isFinite(v) && v != 0).map(Math::abs).sorted().toArray();
        if (Arrays.stream(nonZero).allMatch(Numbers::isWhole)) {
            return v -> Double.isFinite(v) ? grouped(v, 0) : nonFinite(v);
        }
        int needed = 0; // decimals that show every value exactly to its significant digits
        for (double v : nonZero) needed = Math.max(needed, decimals(v));
        double median = nonZero[nonZero.length / 2];
        int d = Math.min(needed, Math.max(0, SIGNIFICANT - 1 - exponent(median)));
        for (double v : nonZero) {
            int shown = d + exponent(v) + 1;
            boolean exact = d >= decimals(v);
            if ((!exact && shown < MIN_COLUMN_SIGNIFICANT) || (d > 0 && shown > MAX_SIGNIFICANT) || v >= LARGE) return Numbers::format;
        }
        return v -> Double.isFinite(v) ? grouped(v, d) : nonFinite(v);
    }

    /**
     * A short label for chart axes: {@code 64}, {@code 10k}, {@code 2.5M}, {@code 0.001},
     * {@code 1e-5}; at most 3 significant digits.
     */
    public static String compact(double value) {
        if (!Double.isFinite(value)) return nonFinite(value);
        if (value == 0) return "0";
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(3, RoundingMode.HALF_EVEN));
        int exp = rounded.precision() - rounded.scale() - 1;
        if (exp < -3) {
            // 1e-5 rather than 1.00e-05: an axis label, not a table value
            BigDecimal mantissa = rounded.movePointLeft(exp).stripTrailingZeros();
            return mantissa.toPlainString() + "e" + exp;
        }
        String[] suffixes = {"", "k", "M", "B", "T"};
        int group = exp < 3 ? 0 : Math.min(suffixes.length - 1, exp / 3);
        BigDecimal scaled = rounded.movePointLeft(3 * group).stripTrailingZeros();
        return grouped(scaled.doubleValue(), Math.max(0, scaled.scale())) + suffixes[group];
    }

    private static String nonFinite(double value) {
        return Double.isNaN(value) ? MISSING : value > 0 ? "∞" : "-∞";
    }

    private static boolean isWhole(double value) {
        return value == Math.rint(value) && Math.abs(value) < LARGE;
    }

    /** {@code value} to {@link #SIGNIFICANT} significant digits. */
    private static BigDecimal round(double value) {
        return new BigDecimal(value).round(new MathContext(SIGNIFICANT, RoundingMode.HALF_EVEN));
    }

    /** Decimals that show {@code value} to {@link #SIGNIFICANT} significant digits, trailing zeros dropped. */
    private static int decimals(double value) {
        return Math.max(0, round(value).stripTrailingZeros().scale());
    }

    /** Power of ten of the leading digit: 0 for 7.69, 1 for 22.96, -3 for 0.002827. */
    private static int exponent(double magnitude) {
        BigDecimal b = new BigDecimal(magnitude);
        return b.precision() - b.scale() - 1;
    }

    private static String scientific(double value) {
        BigDecimal rounded = round(value).stripTrailingZeros();
        int exp = rounded.precision() - rounded.scale() - 1;
        String mantissa = rounded.movePointLeft(exp).toPlainString();
        return mantissa + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
    }

    private static String grouped(double value, int decimals) {
        String s = pattern(decimals).format(value);
        return s.equals("-0") || s.matches("-0\\.0*") ? s.substring(1) : s;
    }

    private static DecimalFormat pattern(int decimals) {
        // a new DecimalFormat per call: the class is not thread-safe, and formatting is not hot
        var format = new DecimalFormat(decimals == 0 ? "#,##0" : "#,##0." + "0".repeat(decimals),
                DecimalFormatSymbols.getInstance(Locale.ROOT));
        format.setRoundingMode(RoundingMode.HALF_EVEN);
        return format;
    }
}
