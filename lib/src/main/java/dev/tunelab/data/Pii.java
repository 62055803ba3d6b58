package dev.tunelab.data;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Personal data that a regular expression can find: e-mail addresses, phone numbers, payment
 * card numbers and IPv4 addresses. Patterns (written for tunelab) follow these definitions:
 *
 * <ul>
 *   <li>e-mail: the "valid e-mail address" of the WHATWG HTML standard (section 4.10.5.1.5,
 *       input type=email), with a dot required in the domain so that {@code user@localhost}
 *       does not count;
 *   <li>phone: North American Numbering Plan numbers ({@code (555) 123-4567}, {@code 555.123.4567},
 *       {@code +1 555 123 4567}) and ITU-T E.164 international numbers written with a
 *       {@code +} and a country code ({@code +44 20 7946 0958}, 8 to 15 digits);
 *   <li>card: 13 to 19 digits (ISO/IEC 7812-1 lengths) in groups separated by single spaces or
 *       hyphens, accepted only when they pass the Luhn check (ISO/IEC 7812-1 Annex B), so most
 *       long numbers that are not card numbers are not counted;
 *   <li>IPv4: dotted-decimal, four numbers 0..255 without leading zeros (as inet_pton reads them,
 *       RFC 4001 section 3's IPv4address grammar), not part of a longer dotted number (a version
 *       such as 1.2.3.4.5).
 * </ul>
 *
 * Masking replaces each hit with its kind in angle brackets ({@code <EMAIL_ADDRESS>}), the
 * placeholder Microsoft Presidio's "replace" anonymizer writes by default.
 */
public final class Pii {

    /** What a hit is; the names are Presidio's entity types. */
    public enum Kind {
        EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IP_ADDRESS
    }

    /** A hit in a text: {@code text.substring(start, end)} is {@code value}. */
    public record Hit(Kind kind, int start, int end, String value) {}

    private static final Pattern EMAIL = Pattern.compile(
            "(?<![\\w.!#$%&'*+/=?^`{|}~-])[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    + "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
    private static final Pattern PHONE = Pattern.compile(
            "(?<![\\w+.])(?:(?:\\+?1[ .-]?)?(?:\\(\\d{3}\\)\\s?|\\d{3}[ .-])\\d{3}[ .-]\\d{4}"
                    + "|\\+(?:[2-9]\\d{0,2})(?:[ .-]?\\d{1,4}){2,5})(?![\\w.]?\\d)");
    private static final Pattern CARD = Pattern.compile("(?<![\\d-])\\d(?:[ -]?\\d){12,18}(?![\\d-])");
    private static final Pattern IPV4 = Pattern.compile(
            "(?<![\\d.])(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(?![\\d]|\\.\\d)");

    private Pii() {}

    /** Every hit in {@code text}, left to right; where two overlap, the earlier-starting (then longer) one. */
    public static List<Hit> find(String text) {
        List<Hit> all = new ArrayList<>();
        collect(EMAIL, Kind.EMAIL_ADDRESS, text, all);
        Matcher card = CARD.matcher(text);
        while (card.find()) {
            String digits = card.group().replaceAll("[ -]", "");
            if (luhn(digits)) all.add(new Hit(Kind.CREDIT_CARD, card.start(), card.end(), card.group()));
        }
        collect(IPV4, Kind.IP_ADDRESS, text, all);
        Matcher phone = PHONE.matcher(text);
        while (phone.find()) {
            long digits = phone.group().chars().filter(Character::isDigit).count();
            if (digits >= 8 && digits <= 15) all.add(new Hit(Kind.PHONE_NUMBER, phone.start(), phone.end(), phone.group()));
        }
        all.sort(Comparator.comparingInt(Hit::start).thenComparingInt(h -> -(h.end() - h.start())));
        List<Hit> out = new ArrayList<>();
        int covered = 0;
        for (Hit h : all) {
            if (h.start() >= covered) {
                out.add(h);
                covered = h.end();
            }
        }
        return out;
    }

    private static void collect(Pattern p, Kind kind, String text, List<Hit> out) {
        Matcher m = p.matcher(text);
        while (m.find()) out.add(new Hit(kind, m.start(), m.end(), m.group()));
    }

    /** {@code text} with every hit replaced by {@code <KIND>}. */
    public static String mask(String text) {
        List<Hit> hits = find(text);
        if (hits.isEmpty()) return text;
        StringBuilder s = new StringBuilder();
        int at = 0;
        for (Hit h : hits) {
            s.append(text, at, h.start()).append('<').append(h.kind().name()).append('>');
            at = h.end();
        }
        return s.append(text.substring(at)).toString();
    }

    /**
     * The Luhn check (ISO/IEC 7812-1 Annex B): from the rightmost digit, double every second
     * digit, subtract 9 from doubles over 9, and the sum must be a multiple of 10.
     */
    public static boolean luhn(String digits) {
        int sum = 0;
        boolean dbl = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (d < 0 || d > 9) return false;
            if (dbl) {
                d *= 2;
                if (d > 9) d -= 9;
            }
            sum += d;
            dbl = !dbl;
        }
        return !digits.isEmpty() && sum % 10 == 0;
    }
}
