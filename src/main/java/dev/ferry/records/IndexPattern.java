package dev.ferry.records;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * A target name built from a record's fields, compiled once: {@code logs-%{@timestamp:yyyy.MM.dd}},
 * {@code %{tenant}-events}. {@code %{field}} inserts the field's value; {@code %{field:pattern}} reads the field as a
 * date (ISO-8601 or epoch milliseconds) and formats it with the pattern in the operation's time zone.
 */
final class IndexPattern {

    private record Part(String literal, String field, DateTimeFormatter format) {
    }

    private final String text;
    private final List<Part> parts = new ArrayList<>();
    private final DatePattern dates;

    IndexPattern(String text, ZoneId zone) {
        this.text = text;
        this.dates = new DatePattern("iso", zone);
        int from = 0;
        while (from < text.length()) {
            int open = text.indexOf("%{", from);
            if (open < 0) {
                parts.add(new Part(text.substring(from), null, null));
                break;
            }
            if (open > from) {
                parts.add(new Part(text.substring(from, open), null, null));
            }
            int close = text.indexOf('}', open);
            if (close < 0) {
                throw new IllegalArgumentException("pattern " + text + ": '%{' at " + open + " is not closed by '}'");
            }
            String inside = text.substring(open + 2, close);
            int colon = inside.indexOf(':');
            String field = colon < 0 ? inside : inside.substring(0, colon);
            if (field.isBlank()) {
                throw new IllegalArgumentException("pattern " + text + ": empty field name at " + open);
            }
            DateTimeFormatter format = colon < 0 ? null : DateTimeFormatter.ofPattern(inside.substring(colon + 1)).withZone(zone);
            parts.add(new Part(null, field, format));
            from = close + 1;
        }
    }

    /** The name for this record; throws IllegalArgumentException naming the field when it cannot be built. */
    String apply(Record record) {
        StringBuilder out = new StringBuilder(32);
        for (Part part : parts) {
            if (part.literal != null) {
                out.append(part.literal);
                continue;
            }
            Object value = record.get(part.field);
            if (value == null || value.toString().isEmpty()) {
                throw new IllegalArgumentException("field " + part.field + " (in " + text + ") is missing");
            }
            if (part.format == null) {
                out.append(value);
            } else {
                try {
                    out.append(part.format.format(dates.parse(value)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("field " + part.field + " (in " + text + "): " + e.getMessage());
                }
            }
        }
        return out.toString();
    }
}
