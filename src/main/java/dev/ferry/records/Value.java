package dev.ferry.records;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.apache.camel.spi.Language;

import java.math.BigDecimal;

/**
 * A value or condition of a transform operation, compiled once when the route starts: a constant, {@code now} (the
 * batch's time, ISO-8601 in UTC, e.g. {@code 2026-11-30T15:04:05.123Z}), or a Camel
 * {@code simple} expression evaluated per record against a scratch exchange whose body is the record's fields (so
 * {@code ${body[status]}}, {@code ${body[user][name]}}, {@code ${date:now}} work). One scratch exchange serves a whole
 * batch: no exchange is created per record.
 */
final class Value {

    /** The scratch exchange's property holding the batch's time, ISO-8601 in UTC: what {@code value=now} writes. */
    static final String BATCH_TIME = "ferryBatchTime";

    private static final java.util.Set<String> TYPES = java.util.Set.of("string", "number", "boolean");

    private final String text;
    private final Object constant;
    private final Evaluator expression;

    private interface Evaluator {
        Object evaluate(Exchange scratch);
    }
    private final String type;

    private Value(String text, Object constant, Evaluator expression, String type) {
        this.text = text;
        this.constant = constant;
        this.expression = expression;
        this.type = type;
    }

    static Value of(CamelContext context, String text, String type) {
        if (text == null) {
            return null;
        }
        // checked when the route starts, whatever the value: a wrong type must not wait for the first record
        if (type != null && !TYPES.contains(type)) {
            throw new IllegalArgumentException("type must be string, number or boolean, not " + type);
        }
        if (text.equals("now")) {
            if (type != null && !type.equals("string")) {
                throw new IllegalArgumentException("value=now is a time (a string), not a " + type);
            }
            // the time the batch was transformed, the same for all its records: no formatting per record
            return new Value(text, null, scratch -> scratch.getProperty(BATCH_TIME, String.class), null);
        }
        if (text.contains("${")) {
            Language simple = context.resolveLanguage("simple");
            FieldRefs refs = FieldRefs.rewrite(text);
            Expression expression = simple.createExpression(refs.text());
            expression.init(context);
            return new Value(text, null, scratch -> {
                refs.bind(scratch);
                return expression.evaluate(scratch, Object.class);
            }, type);
        }
        return new Value(text, convert(text, type, text), null, type);
    }

    static Predicate condition(CamelContext context, String text) {
        FieldRefs refs = FieldRefs.rewrite(text);
        Predicate predicate = context.resolveLanguage("simple").createPredicate(refs.text());
        predicate.init(context);
        return scratch -> {
            refs.bind(scratch);
            return predicate.matches(scratch);
        };
    }

    Object evaluate(Exchange scratch) {
        if (expression == null) {
            return constant;
        }
        Object value = expression.evaluate(scratch);
        return type == null || value == null ? value : convert(value.toString(), type, text);
    }

    private static Object convert(String value, String type, String source) {
        if (type == null || type.equals("string")) {
            return value;
        }
        try {
            return switch (type) {
                case "number" -> new BigDecimal(value.trim());
                case "boolean" -> switch (value.trim()) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> throw new IllegalArgumentException("not true or false");
                };
                default -> throw new IllegalStateException("unchecked type " + type);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (from " + source + ") is not a number");
        }
    }
}
