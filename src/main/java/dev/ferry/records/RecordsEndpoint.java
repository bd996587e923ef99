package dev.ferry.records;

import dev.ferry.config.Sha256;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One transform operation on every record of a batch (the body: a {@link RecordBatch}), compiled when the route
 * starts. {@code ferry-records:drop?when=${body[status]} == 'test'}, {@code ferry-records:set?field=ingested_at&value=${date:now:yyyy-MM-dd'T'HH:mm:ss'Z'}},
 * {@code ferry-records:index?pattern=logs-%{@timestamp:yyyy.MM.dd}}. Every operation but drop and dead-letter takes an
 * optional {@code when}: it then applies only to the records matching it.
 */
@UriEndpoint(scheme = "ferry-records", title = "Ferry records", syntax = "ferry-records:operation", producerOnly = true,
        remote = false, category = {Category.TRANSFORMATION})
public final class RecordsEndpoint extends DefaultEndpoint {

    static final List<String> OPERATIONS = List.of("drop", "dead-letter", "set", "rename", "remove", "parse-date",
            "index", "mask");

    @UriPath(enums = "drop,dead-letter,set,rename,remove,parse-date,index,mask")
    @Metadata(required = true)
    private final String operation;
    @UriParam(description = "Condition (simple, the body is the record's fields): drop and dead-letter act on matching records; any other operation applies only to them")
    private String when;
    @UriParam(description = "dead-letter: the reason written with the record (a constant or a simple expression)")
    private String reason;
    @UriParam(description = "The field (a path, dots for nested objects); remove and mask take a comma-separated list")
    private String field;
    @UriParam(description = "rename: the new name; parse-date: the field to write (default: the field itself)")
    private String to;
    @UriParam(description = "set: the value, a constant or a simple expression")
    private String value;
    @UriParam(defaultValue = "string", enums = "string,number,boolean", description = "set: the value's JSON type")
    private String type;
    @UriParam(defaultValue = "false", description = "set: only when the field is absent")
    private boolean ifAbsent;
    @UriParam(defaultValue = "iso", description = "parse-date: iso, epoch-millis, epoch-seconds or a DateTimeFormatter pattern")
    private String format;
    @UriParam(defaultValue = "UTC", description = "parse-date and index: the time zone of dates without an offset, and of index names")
    private String zone = "UTC";
    @UriParam(description = "index: the target index, with %{field} and %{field:date-pattern}")
    private String pattern;
    @UriParam(description = "index: the index used when the pattern's fields are missing (default: the record is dead-lettered)")
    private String fallback;
    @UriParam(defaultValue = "dead-letter", enums = "dead-letter,keep", description = "parse-date: what happens to a record whose field is not a date")
    private String onFailure = "dead-letter";
    @UriParam(defaultValue = "redact", enums = "redact,hash", description = "mask: replace the value with *** or with a salted SHA-256 (the same value gives the same mask)")
    private String method = "redact";
    @UriParam(label = "security", secret = true, description = "mask with method=hash: the salt (keep it secret, e.g. {{ferry.mask.salt}})")
    private String salt = "";

    private Operation compiled;
    private Predicate condition;

    RecordsEndpoint(String uri, RecordsComponent component, String operation) {
        super(uri, component);
        this.operation = operation;
    }

    @Override
    protected void doInit() throws Exception {
        super.doInit();
        if (!OPERATIONS.contains(operation)) {
            throw new IllegalArgumentException("ferry-records:" + operation + " is not an operation; use one of " + OPERATIONS);
        }
        compiled = compile();
    }

    private Operation compile() {
        switch (operation) {
            case "drop": {
                Predicate drop = Value.condition(getCamelContext(), required("when", when));
                return (record, scratch) -> drop.matches(scratch) ? Outcome.DROP : Outcome.KEEP;
            }
            case "dead-letter": {
                Predicate bad = Value.condition(getCamelContext(), required("when", when));
                Value why = Value.of(getCamelContext(), required("reason", reason), null);
                return (record, scratch) -> bad.matches(scratch) ? Outcome.deadLetter(String.valueOf(why.evaluate(scratch))) : Outcome.KEEP;
            }
            default:
                condition = when == null ? null : Value.condition(getCamelContext(), when);
        }
        switch (operation) {
            case "set": {
                String path = required("field", field);
                Value v = Value.of(getCamelContext(), required("value", value), type);
                return (record, scratch) -> {
                    if (!ifAbsent || record.get(path) == null) {
                        record.set(path, v.evaluate(scratch));
                    }
                    return Outcome.KEEP;
                };
            }
            case "rename": {
                String from = required("field", field);
                String target = required("to", to);
                return (record, scratch) -> {
                    if (record.get(from) != null || record.view().containsKey(from)) {
                        record.set(target, record.remove(from));
                    }
                    return Outcome.KEEP;
                };
            }
            case "remove": {
                String[] paths = fields();
                return (record, scratch) -> {
                    for (String path : paths) {
                        if (record.get(path) != null || record.view().containsKey(path)) {
                            record.remove(path);
                        }
                    }
                    return Outcome.KEEP;
                };
            }
            case "parse-date": {
                String path = required("field", field);
                String target = to == null ? path : to;
                DatePattern dates = new DatePattern(format, ZoneId.of(zone));
                boolean keep = "keep".equals(onFailure);
                return (record, scratch) -> {
                    try {
                        record.set(target, DateTimeFormatter.ISO_INSTANT.format(dates.parse(record.get(path))));
                        return Outcome.KEEP;
                    } catch (IllegalArgumentException e) {
                        return keep ? Outcome.KEEP : Outcome.deadLetter("parse-date: field " + path + ": " + e.getMessage());
                    }
                };
            }
            case "index": {
                IndexPattern names = new IndexPattern(required("pattern", pattern), ZoneId.of(zone));
                return (record, scratch) -> {
                    String name;
                    try {
                        name = names.apply(record);
                    } catch (IllegalArgumentException e) {
                        if (fallback == null) {
                            return Outcome.deadLetter("index: " + e.getMessage());
                        }
                        name = fallback;
                    }
                    record.setTarget(name);
                    return Outcome.KEEP;
                };
            }
            case "mask": {
                String[] paths = fields();
                boolean hash = "hash".equals(method);
                if (!hash && !"redact".equals(method)) {
                    throw new IllegalArgumentException("ferry-records:mask method must be redact or hash, not " + method);
                }
                return (record, scratch) -> {
                    for (String path : paths) {
                        Object v = record.get(path);
                        if (v != null) {
                            record.set(path, hash ? hash(v.toString()) : "***");
                        }
                    }
                    return Outcome.KEEP;
                };
            }
            default:
                throw new IllegalStateException(operation);
        }
    }

    private String hash(String v) {
        MessageDigest sha = Sha256.newDigest();
        sha.update(salt.getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(sha.digest(v.getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    private String[] fields() {
        return Arrays.stream(required("field", field).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .toArray(String[]::new);
    }

    private String required(String name, String v) {
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("ferry-records:" + operation + " needs " + name + "=...");
        }
        return v;
    }

    Operation operation() {
        return compiled;
    }

    Predicate condition() {
        return condition;
    }

    String operationName() {
        return operation;
    }

    @Override
    public Producer createProducer() {
        return new RecordsProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("ferry-records is a step on a batch (to:), not a consumer (from:)");
    }

    public void setWhen(String when) { this.when = when; }
    public void setReason(String reason) { this.reason = reason; }
    public void setField(String field) { this.field = field; }
    public void setTo(String to) { this.to = to; }
    public void setValue(String value) { this.value = value; }
    public void setType(String type) { this.type = type; }
    public void setIfAbsent(boolean ifAbsent) { this.ifAbsent = ifAbsent; }
    public void setFormat(String format) { this.format = format; }
    public void setZone(String zone) { this.zone = zone; }
    public void setPattern(String pattern) { this.pattern = pattern; }
    public void setFallback(String fallback) { this.fallback = fallback; }
    public void setOnFailure(String onFailure) { this.onFailure = onFailure; }
    public void setMethod(String method) { this.method = method; }
    public void setSalt(String salt) { this.salt = salt; }
}
