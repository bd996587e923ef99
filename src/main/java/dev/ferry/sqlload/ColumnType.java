package dev.ferry.sqlload;

import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The type of one mapped column and how a report value becomes a database value. Conversion happens while the row is
 * extracted, so a bad value is rejected with its column and reason before it ever reaches the database.
 * Written in configuration as {@code integer}, {@code decimal(p,s)}, {@code timestamp(pattern, zone)},
 * {@code text(max)}, {@code boolean} or {@code skip}.
 */
public sealed interface ColumnType {

    /** The database value (Long, BigDecimal, LocalDateTime in UTC, String, Boolean); throws with the reason. */
    Object convert(String value) throws ConversionException;

    /**
     * A value a route's transform set, as the database value: null stays null, a value of the type's own class
     * (Long, BigDecimal, LocalDateTime, String, Boolean) is checked like a converted one, anything else is converted
     * from its text.
     */
    default Object accept(Object value) throws ConversionException {
        if (value == null) {
            return null;
        }
        if (value instanceof java.time.LocalDateTime t && this instanceof TimestampType) {
            return t;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            value = ((Number) value).longValue();
        }
        return convert(value instanceof BigDecimal d ? d.toPlainString() : value.toString());
    }

    /** A canonical text of a converted value, so equal values hash equally however the report wrote them. */
    default String normalized(Object value) {
        return value.toString();
    }

    /** Why a value could not be converted; the message names no column (the caller adds it). */
    final class ConversionException extends Exception {
        public ConversionException(String message) {
            super(message, null, false, false);
        }
    }

    static ColumnType parse(String spec) {
        String s = spec.trim();
        String name = s.contains("(") ? s.substring(0, s.indexOf('(')).trim() : s;
        String args = s.contains("(") ? s.substring(s.indexOf('(') + 1, s.lastIndexOf(')')) : "";
        switch (name.toLowerCase(Locale.ROOT)) {
            case "integer":
                return new IntegerType();
            case "decimal": {
                String[] ps = args.split(",");
                return new DecimalType(Integer.parseInt(ps[0].trim()), Integer.parseInt(ps[1].trim()));
            }
            case "timestamp": {
                int comma = args.lastIndexOf(',');
                if (comma < 0) {
                    throw new IllegalArgumentException("timestamp needs (pattern, zone), e.g. timestamp(yyyy-MM-dd HH:mm:ss, UTC)");
                }
                return new TimestampType(args.substring(0, comma).trim(), ZoneId.of(args.substring(comma + 1).trim()));
            }
            case "text":
                return new TextType(Integer.parseInt(args.trim()));
            case "boolean":
                return new BooleanType();
            case "skip":
                return new Skip();
            default:
                throw new IllegalArgumentException("unknown column type '" + name
                        + "' (expected integer, decimal(p,s), timestamp(pattern, zone), text(max), boolean or skip)");
        }
    }

    record IntegerType() implements ColumnType {
        @Override
        public Object convert(String value) throws ConversionException {
            try {
                return Long.parseLong(value.trim());
            } catch (NumberFormatException e) {
                throw new ConversionException("'" + shorten(value) + "' is not a whole number");
            }
        }
    }

    record DecimalType(int precision, int scale) implements ColumnType {
        @Override
        public Object convert(String value) throws ConversionException {
            BigDecimal d;
            try {
                d = new BigDecimal(value.trim());
            } catch (NumberFormatException e) {
                throw new ConversionException("'" + shorten(value) + "' is not a decimal number");
            }
            // Rounding would change the data silently: too many decimals or digits is a reject, not a truncation.
            BigDecimal stripped = d.stripTrailingZeros();
            if (stripped.scale() > scale) {
                throw new ConversionException("'" + shorten(value) + "' has more than " + scale + " decimal places");
            }
            if (stripped.precision() - stripped.scale() > precision - scale) {
                throw new ConversionException("'" + shorten(value) + "' does not fit decimal(" + precision + "," + scale + ")");
            }
            return d.setScale(scale);
        }

        @Override
        public String normalized(Object value) {
            return ((BigDecimal) value).stripTrailingZeros().toPlainString();
        }
    }

    /**
     * A local date-time in the report's zone, stored as UTC (the database column has no zone).
     *
     * <p>The usual patterns ({@code yyyy-MM-dd HH:mm:ss}, or with a {@code T}) are read digit by digit when the value
     * is plainly valid; anything else (another pattern, a day past the month's end, an hour 24, stray characters)
     * goes through the {@link DateTimeFormatter}, so the result and every error are the formatter's own.
     */
    record TimestampType(String pattern, ZoneId zone, DateTimeFormatter formatter, char isoSeparator, boolean utc)
            implements ColumnType {
        TimestampType(String pattern, ZoneId zone) {
            this(pattern, zone, DateTimeFormatter.ofPattern(pattern, Locale.ROOT),
                    pattern.equals("yyyy-MM-dd HH:mm:ss") ? ' ' : pattern.equals("yyyy-MM-dd'T'HH:mm:ss") ? 'T' : 0,
                    zone.normalized().equals(ZoneOffset.UTC));
        }

        @Override
        public Object convert(String value) throws ConversionException {
            LocalDateTime local = isoSeparator == 0 ? null : plainIso(value);
            if (local == null) {
                try {
                    local = LocalDateTime.parse(value.trim(), formatter);
                } catch (DateTimeParseException e) {
                    throw new ConversionException("'" + shorten(value) + "' is not a timestamp of pattern " + pattern);
                }
            }
            return utc ? local : local.atZone(zone).withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }

        /** {@code yyyy-MM-dd?HH:mm:ss} with every field in range, or null (then the formatter decides). */
        private LocalDateTime plainIso(String v) {
            if (v.length() != 19 || v.charAt(4) != '-' || v.charAt(7) != '-' || v.charAt(10) != isoSeparator
                    || v.charAt(13) != ':' || v.charAt(16) != ':') {
                return null;
            }
            int year = digits(v, 0, 4);
            int month = digits(v, 5, 2);
            int day = digits(v, 8, 2);
            int hour = digits(v, 11, 2);
            int minute = digits(v, 14, 2);
            int second = digits(v, 17, 2);
            if (year < 1 || month < 1 || month > 12 || day < 1 || day > 28 && day > java.time.YearMonth.of(year, month).lengthOfMonth()
                    || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
                return null;
            }
            return LocalDateTime.of(year, month, day, hour, minute, second);
        }

        /** The number in {@code width} ASCII digits from {@code at}, or -1. */
        private static int digits(String v, int at, int width) {
            int n = 0;
            for (int i = at; i < at + width; i++) {
                char c = v.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                n = n * 10 + (c - '0');
            }
            return n;
        }
    }

    record TextType(int maxLength) implements ColumnType {
        @Override
        public Object convert(String value) throws ConversionException {
            if (value.length() > maxLength) {
                throw new ConversionException(value.length() + " characters, at most " + maxLength + " allowed");
            }
            return value;
        }
    }

    record BooleanType() implements ColumnType {
        @Override
        public Object convert(String value) throws ConversionException {
            switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "true": case "1": case "yes": return Boolean.TRUE;
                case "false": case "0": case "no": return Boolean.FALSE;
                default: throw new ConversionException("'" + shorten(value) + "' is not a boolean (True/False, 1/0, Yes/No)");
            }
        }
    }

    /** A report column that is read (the header must list it) but not loaded. */
    record Skip() implements ColumnType {
        @Override
        public Object convert(String value) {
            return null;
        }
    }

    private static String shorten(String value) {
        return value.length() <= 60 ? value : value.substring(0, 57) + "...";
    }
}
