package dev.ferry.records;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.apache.camel.spi.Language;

import java.math.BigDecimal;

/**
 * A value or condition of a transform operation, compiled once when the route starts: a constant, or a Camel
 * {@code simple} expression evaluated per record against a scratch exchange whose body is the record's fields (so
 * {@code ${body[status]}}, {@code ${body[user][name]}}, {@code ${date:now}} work). One scratch exchange serves a whole
 * batch: no exchange is created per record.
 */
final class Value {

    private final String text;
    private final Object constant;
    private final Expression expression;
    private final String type;

    private Value(String text, Object constant, Expression expression, String type) {
        this.text = text;
        this.constant = constant;
        this.expression = expression;
        this.type = type;
    }

    static Value of(CamelContext context, String text, String type) {
        if (text == null) {
            return null;
        }
        if (text.contains("${")) {
            Language simple = context.resolveLanguage("simple");
            Expression expression = simple.createExpression(text);
            expression.init(context);
            return new Value(text, null, expression, type);
        }
        return new Value(text, convert(text, type, text), null, type);
    }

    static Predicate condition(CamelContext context, String text) {
        Predicate predicate = context.resolveLanguage("simple").createPredicate(text);
        predicate.init(context);
        return predicate;
    }

    Object evaluate(Exchange scratch) {
        if (expression == null) {
            return constant;
        }
        Object value = expression.evaluate(scratch, Object.class);
        return type == null || value == null ? value : convert(value.toString(), type, text);
    }

    String text() {
        return text;
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
                default -> throw new IllegalArgumentException("type must be string, number or boolean, not " + type);
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' (from " + source + ") is not a number");
        }
    }
}
