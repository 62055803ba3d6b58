package dev.tunelab.io;

import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale, for the {@code strftime_now(format)} global
 * that transformers gives chat templates (Llama 3.1 and 3.2 write today's date with
 * {@code "%d %b %Y"}). Directives as in the Python documentation's table of format codes, plus
 * glibc's {@code %e} and {@code %-d}-style unpadded numbers.
 */
final class PythonTime {
    private PythonTime() {}

    static String strftime(ZonedDateTime t, String format) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char d = format.charAt(++i);
            boolean unpadded = d == '-' && i + 1 < format.length();
            if (unpadded) {
                d = format.charAt(++i);
            }
            b.append(directive(t, d, unpadded, format));
        }
        return b.toString();
    }

    private static String directive(ZonedDateTime t, char d, boolean unpadded, String format) {
        int hour12 = t.getHour() % 12 == 0 ? 12 : t.getHour() % 12;
        return switch (d) {
            case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
            case 'd' -> num(t.getDayOfMonth(), 2, unpadded);
            case 'e' -> String.format("%2d", t.getDayOfMonth());
            case 'm' -> num(t.getMonthValue(), 2, unpadded);
            case 'y' -> num(t.getYear() % 100, 2, unpadded);
            case 'Y' -> Integer.toString(t.getYear());
            case 'H' -> num(t.getHour(), 2, unpadded);
            case 'I' -> num(hour12, 2, unpadded);
            case 'M' -> num(t.getMinute(), 2, unpadded);
            case 'S' -> num(t.getSecond(), 2, unpadded);
            case 'f' -> String.format("%06d", t.getNano() / 1000);
            case 'p' -> t.getHour() < 12 ? "AM" : "PM";
            case 'j' -> num(t.getDayOfYear(), 3, unpadded);
            case 'w' -> Integer.toString(t.getDayOfWeek().getValue() % 7);
            case 'u' -> Integer.toString(t.getDayOfWeek().getValue());
            case 'U' -> num((t.getDayOfYear() + 6 - t.getDayOfWeek().getValue() % 7) / 7, 2, unpadded);
            case 'W' -> num((t.getDayOfYear() + 6 - (t.getDayOfWeek().getValue() + 6) % 7) / 7, 2, unpadded);
            case 'z' -> offset(t.get(ChronoField.OFFSET_SECONDS));
            case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
            case 'c' -> strftime(t, "%a %b %e %H:%M:%S %Y");
            case 'x' -> strftime(t, "%m/%d/%y");
            case 'X' -> strftime(t, "%H:%M:%S");
            case '%' -> "%";
            default -> throw new IllegalArgumentException("strftime: unsupported directive %" + d + " in \"" + format + "\"");
        };
    }

    private static String num(int v, int width, boolean unpadded) {
        return unpadded ? Integer.toString(v) : String.format("%0" + width + "d", v);
    }

    private static String offset(int seconds) {
        int abs = Math.abs(seconds);
        return (seconds < 0 ? "-" : "+") + String.format("%02d%02d", abs / 3600, abs / 60 % 60);
    }
}
