package dev.ferry.records;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAccessor;

/** Reading a field's value as a point in time: ISO-8601 (instant, offset, local date-time or date), epoch numbers, or a pattern. */
final class DatePattern {

    private final String format;
    private final DateTimeFormatter formatter;
    private final ZoneId zone;

    DatePattern(String format, ZoneId zone) {
        this.format = format == null || format.isBlank() ? "iso" : format.trim();
        this.zone = zone;
        this.formatter = switch (this.format) {
            case "iso", "epoch-millis", "epoch-seconds" -> null;
            default -> DateTimeFormatter.ofPattern(this.format).withZone(zone);
        };
    }

    String format() {
        return format;
    }

    /** The instant the value names; throws IllegalArgumentException saying why not. */
    Instant parse(Object value) {
        if (value == null) {
            throw new IllegalArgumentException("it is missing");
        }
        try {
            switch (format) {
                case "epoch-millis":
                    return Instant.ofEpochMilli(number(value).longValueExact());
                case "epoch-seconds":
                    BigDecimal seconds = number(value);
                    return Instant.ofEpochSecond(seconds.longValue(), seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());
                case "iso":
                    if (value instanceof Number) {
                        return Instant.ofEpochMilli(((Number) value).longValue());
                    }
                    return iso(value.toString());
                default:
                    TemporalAccessor t = formatter.parseBest(value.toString(), ZonedDateTime::from, LocalDateTime::from, LocalDate::from);
                    if (t instanceof ZonedDateTime z) {
                        return z.toInstant();
                    }
                    if (t instanceof LocalDateTime l) {
                        return l.atZone(zone).toInstant();
                    }
                    return ((LocalDate) t).atStartOfDay(zone).toInstant();
            }
        } catch (DateTimeParseException | ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a date in format " + format);
        }
    }

    private Instant iso(String text) {
        String s = text.trim();
        if (s.length() == 10) {
            return LocalDate.parse(s).atStartOfDay(zone).toInstant();
        }
        char last = s.charAt(s.length() - 1);
        if (last == 'Z' || last == 'z') {
            Instant utc = utcTimestamp(s);
            return utc != null ? utc : Instant.parse(s);
        }
        int t = s.indexOf('T');
        if (t > 0 && (s.indexOf('+', t) > 0 || s.indexOf('-', t) > 0)) {
            return OffsetDateTime.parse(s).toInstant();
        }
        return LocalDateTime.parse(s).atZone(zone).toInstant();
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z}, the usual form of a document's timestamp, read by hand: the JDK's
     * ISO parser allocates about 1 KB per value, which is most of an index-by-date step on every document. Null for
     * any other form or an impossible date (the JDK's parser then reads it or says why not).
     */
    static Instant utcTimestamp(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' && s.charAt(10) != 't'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 7);
        int day = digits(s, 8, 10);
        int hour = digits(s, 11, 13);
        int minute = digits(s, 14, 16);
        int second = digits(s, 17, 19);
        int nanos = 0;
        if (n > 20) {
            if (s.charAt(19) != '.' || n - 21 < 1 || n - 21 > 9) {
                return null;
            }
            nanos = digits(s, 20, n - 1);
            for (int i = n - 21; i < 9; i++) {
                nanos *= 10;
            }
        }
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59 || nanos < 0 || day > java.time.Month.of(month).length(java.time.Year.isLeap(year))) {
            return null;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** The decimal number in s[from, to), or -1 when a character there is not a digit. */
    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static BigDecimal number(Object value) {
        return value instanceof BigDecimal b ? b : new BigDecimal(value.toString().trim());
    }
}
