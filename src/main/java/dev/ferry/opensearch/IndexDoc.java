package dev.ferry.opensearch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ferry.records.Record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.Map;
import java.util.Objects;

/**
 * One document ready for a bulk index operation. Its source is the document's JSON exactly as it was read (never
 * re-serialized, so {@code 95.0} stays {@code 95.0}), kept as a range of the line's bytes: it goes into the bulk body
 * without being decoded to text and encoded back. {@code line} ties it back to its source line for dead letters.
 *
 * <p>As a {@link Record} (the transform stage's view) a field a step reads is found by scanning the bytes; the
 * document is parsed whole only when a step needs the whole map or changes a field it has, and written again from
 * its fields only then. A new top-level field is spliced in before the closing brace. A document a transform did
 * not touch, or only read in a condition, still goes to OpenSearch byte for byte as read. A step may also choose its
 * target index ({@link #setTarget}).
 */
public final class IndexDoc implements Record {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS) // 95.0 stays 95.0, 1.10 stays 1.10
            .build();
    private static final TypeReference<LinkedHashMap<String, Object>> FIELDS = new TypeReference<>() { };

    private final long line;
    private String index;
    private final String id;
    private final String routing;
    private byte[] bytes;
    private int offset;
    private int length;
    private final byte[] readBytes;
    private final int readOffset;
    private final int readLength;
    private Map<String, Object> fields;      // every field, parsed: once a step needs the whole document
    private Map<String, Object> looked;      // single fields read without parsing the rest (value, or ABSENT)
    private Map<String, Object> appended;    // new top-level fields, added to the bytes without parsing them
    private boolean changed;
    private static final Object ABSENT = new Object();

    /** A document whose source is {@code length} bytes of {@code bytes} from {@code offset} (shared, not copied). */
    public IndexDoc(long line, String index, String id, String routing, byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        this.line = line;
        this.index = index;
        this.id = id;
        this.routing = routing;
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.readBytes = bytes;
        this.readOffset = offset;
        this.readLength = length;
    }

    public IndexDoc(long line, String index, String id, String routing, String source) {
        this(line, index, id, routing, source.getBytes(StandardCharsets.UTF_8));
    }

    private IndexDoc(long line, String index, String id, String routing, byte[] source) {
        this(line, index, id, routing, source, 0, source.length);
    }

    public long line() {
        return line;
    }

    public String index() {
        return index;
    }

    public String id() {
        return id;
    }

    public String routing() {
        return routing;
    }

    /** The source as text (for dead letters and tests; the bulk body takes the bytes): as changed by a transform. */
    public String source() {
        written();
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /** The source exactly as read, before any transform (for the dead letters a transform sends). */
    public String sourceAsRead() {
        return new String(readBytes, readOffset, readLength, StandardCharsets.UTF_8);
    }

    /** Appends the source bytes: as read, unless a transform changed the document. */
    public void writeSource(ByteArrayOutputStream out) {
        written();
        out.write(bytes, offset, length);
    }

    /** As {@link #writeSource(ByteArrayOutputStream)}, to any stream (a dump's part); returns the bytes written. */
    public int writeSource(java.io.OutputStream out) throws java.io.IOException {
        written();
        out.write(bytes, offset, length);
        return length;
    }

    public int sourceLength() {
        written();
        return length;
    }

    /** Bytes this document adds to a bulk body, roughly (action line plus source). */
    public long weight() {
        return sourceLength() + 64L + (id == null ? 0 : id.length()) + index.length() + (routing == null ? 0 : routing.length());
    }

    /** The fields, to change: the document is then written from them (a read-only look: {@link #view()}). */
    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = parsed();
        changed = true;
        return f;
    }

    /**
     * The fields to read. A single field is looked up by scanning the bytes (the other values are skipped, not
     * decoded), so a condition on a field costs a scan, not a parse; the whole map is parsed only when asked for it.
     */
    @Override
    public Map<String, Object> view() {
        return fields != null ? fields : new Lookup();
    }

    /** A new top-level field is added to the bytes as they are; anything else changes the parsed fields. */
    @Override
    public void set(String path, Object value) {
        if (fields == null && path.indexOf('.') < 0 && (appended != null && appended.containsKey(path) || lookup(path) == ABSENT)) {
            if (appended == null) {
                appended = new LinkedHashMap<>(4);
            }
            appended.put(path, value);
            return;
        }
        Record.super.set(path, value);
    }

    private Map<String, Object> parsed() {
        if (fields == null) {
            try {
                fields = MAPPER.readValue(bytes, offset, length, FIELDS);
            } catch (IOException e) {
                throw new UncheckedIOException("line " + line + ": the document cannot be read as JSON fields", e);
            }
            if (appended != null) {
                fields.putAll(appended);
                appended = null;
                changed = true;
            }
            looked = null;
        }
        return fields;
    }

    /** One top-level field's value (JSON null is null), or ABSENT: a scan of the bytes, remembered. */
    private Object lookup(String key) {
        if (appended != null && appended.containsKey(key)) {
            return appended.get(key);
        }
        if (looked != null && looked.containsKey(key)) {
            return looked.get(key);
        }
        Object value = ABSENT;
        try (JsonParser p = MAPPER.createParser(bytes, offset, length)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    boolean wanted = key.equals(p.currentName());
                    JsonToken token = p.nextToken();
                    if (!wanted) {
                        p.skipChildren();
                        continue;
                    }
                    value = switch (token) {
                        case VALUE_STRING -> p.getText();
                        case VALUE_NUMBER_INT -> p.getNumberValue();
                        case VALUE_NUMBER_FLOAT -> p.getDecimalValue();
                        case VALUE_TRUE -> Boolean.TRUE;
                        case VALUE_FALSE -> Boolean.FALSE;
                        case VALUE_NULL -> null;
                        default -> MAPPER.readValue(p, Object.class);
                    };
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("line " + line + ": the document cannot be read as JSON fields", e);
        }
        if (looked == null) {
            looked = new HashMap<>(4);
        }
        looked.put(key, value);
        return value;
    }

    /** The read-only view before a full parse: single fields by scanning, the rest by parsing. */
    private final class Lookup extends AbstractMap<String, Object> {
        @Override
        public Object get(Object key) {
            if (fields != null) {
                return fields.get(key);
            }
            Object v = key instanceof String k ? lookup(k) : ABSENT;
            return v == ABSENT ? null : v;
        }

        @Override
        public boolean containsKey(Object key) {
            return fields != null ? fields.containsKey(key) : key instanceof String k && lookup(k) != ABSENT;
        }

        @Override
        public Set<Entry<String, Object>> entrySet() {
            return Collections.unmodifiableMap(parsed()).entrySet();
        }
    }

    @Override
    public void setTarget(String target) {
        this.index = Objects.requireNonNull(target, "target index");
    }

    @Override
    public String where() {
        return "line " + line;
    }

    /** A changed document's bytes: written from its fields once per change, or the added fields spliced in. */
    private void written() {
        if (!changed && appended != null) {
            splice();
        }
        if (changed) {
            try {
                bytes = MAPPER.writeValueAsBytes(fields);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("line " + line + ": a transform left a value that is not JSON: " + e.getOriginalMessage(), e);
            }
            offset = 0;
            length = bytes.length;
            changed = false;
        }
    }

    /** The source with the added fields before its closing brace: the bytes read are not parsed or rewritten. */
    private void splice() {
        int end = offset + length - 1;
        while (end > offset && bytes[end] != '}') {
            end--;
        }
        int last = end - 1;
        while (last > offset && (bytes[last] == ' ' || bytes[last] == '\t' || bytes[last] == '\r' || bytes[last] == '\n')) {
            last--;
        }
        boolean empty = bytes[last] == '{';
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 64 * appended.size());
        out.write(bytes, offset, end - offset);
        try {
            for (Map.Entry<String, Object> e : appended.entrySet()) {
                if (!empty) {
                    out.write(',');
                }
                empty = false;
                out.write(MAPPER.writeValueAsBytes(e.getKey()));
                out.write(':');
                out.write(MAPPER.writeValueAsBytes(e.getValue()));
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("line " + line + ": a transform left a value that is not JSON: " + e.getMessage(), e);
        }
        out.write('}');
        if (looked == null) {
            looked = new HashMap<>(4);
        }
        looked.putAll(appended);
        appended = null;
        bytes = out.toByteArray();
        offset = 0;
        length = bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        written();
        if (o instanceof IndexDoc other) {
            other.written();
        }
        return o instanceof IndexDoc d && line == d.line && Objects.equals(index, d.index) && Objects.equals(id, d.id)
                && Objects.equals(routing, d.routing)
                && Arrays.equals(bytes, offset, offset + length, d.bytes, d.offset, d.offset + d.length);
    }

    @Override
    public int hashCode() {
        return Objects.hash(line, index, id, routing, length);
    }

    @Override
    public String toString() {
        written();
        return "IndexDoc[line=" + line + ", index=" + index + ", id=" + id + ", routing=" + routing + ", source="
                + (length > 200 ? new String(bytes, offset, 200, StandardCharsets.UTF_8) + "..." : source()) + ']';
    }
}
