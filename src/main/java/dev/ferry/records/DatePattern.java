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
            return Instant.parse(s);
        }
        int t = s.indexOf('T');
        if (t > 0 && (s.indexOf('+', t) > 0 || s.indexOf('-', t) > 0)) {
            return OffsetDateTime.parse(s).toInstant();
        }
        return LocalDateTime.parse(s).atZone(zone).toInstant();
    }

    private static BigDecimal number(Object value) {
        return value instanceof BigDecimal b ? b : new BigDecimal(value.toString().trim());
    }
}
