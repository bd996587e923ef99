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
import java.util.Collections;
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
 * its fields only then. A new top-level field is written after the bytes read, before their closing brace (no copy
 * of the document). A document a transform did not touch, or only read in a condition, still goes to OpenSearch byte
 * for byte as read. A step may also choose its target index ({@link #setTarget}).
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
    private Map<String, Object> appended;    // new top-level fields, written after the bytes read without parsing them
    private byte[] tail;                     // the appended fields as JSON and the closing brace (see tail())
    private boolean changed;
    private static final Object ABSENT = new Object();
    private static final com.fasterxml.jackson.core.io.JsonStringEncoder STRING_ENCODER =
            com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance();

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
        if (appended == null) {
            return new String(bytes, offset, length, StandardCharsets.UTF_8);
        }
        byte[] tail = tail();
        return new String(bytes, offset, headLength(), StandardCharsets.UTF_8) + new String(tail, StandardCharsets.UTF_8);
    }

    /** The source exactly as read, before any transform (for the dead letters a transform sends). */
    public String sourceAsRead() {
        return new String(readBytes, readOffset, readLength, StandardCharsets.UTF_8);
    }

    /** Appends the source bytes: as read, unless a transform changed the document. */
    public void writeSource(ByteArrayOutputStream out) {
        written();
        if (appended == null) {
            out.write(bytes, offset, length);
        } else {
            out.write(bytes, offset, headLength());
            out.write(tail(), 0, tail.length);
        }
    }

    /** As {@link #writeSource(ByteArrayOutputStream)}, to any stream (a dump's part); returns the bytes written. */
    public int writeSource(java.io.OutputStream out) throws java.io.IOException {
        written();
        if (appended == null) {
            out.write(bytes, offset, length);
            return length;
        }
        out.write(bytes, offset, headLength());
        out.write(tail());
        return headLength() + tail.length;
    }

    public int sourceLength() {
        written();
        return appended == null ? length : headLength() + tail().length;
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
            tail = null;
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
                tail = null;
                changed = true;
            }
        }
        return fields;
    }

    /**
     * One top-level field's value (JSON null is null), or ABSENT: found by a scan of the bytes ({@link SourceScan}),
     * not remembered (a document in flight keeps no more than its bytes; a second look is another short scan).
     */
    private Object lookup(String key) {
        if (appended != null && appended.containsKey(key)) {
            return appended.get(key);
        }
        long at = SourceScan.find(bytes, offset, offset + length, key);
        if (at == SourceScan.ABSENT) {
            return ABSENT;
        }
        if (at != SourceScan.CANNOT) {
            int start = (int) (at >>> 32);
            int end = (int) at;
            Object value = SourceScan.decode(bytes, start, end);
            if (value != SourceScan.CANNOT_DECODE) {
                return value;
            }
            try {
                return MAPPER.readValue(bytes, start, end - start, Object.class);
            } catch (IOException e) {
                throw new UncheckedIOException("line " + line + ": the document cannot be read as JSON fields", e);
            }
        }
        return parsedLookup(key);
    }

    /** {@link #lookup} with a JSON parser, for what the scan leaves to it (escaped names, a broken document). */
    private Object parsedLookup(String key) {
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

    /** A changed document's bytes: written from its fields once per change. */
    private void written() {
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

    /** The source's bytes before its closing brace (when fields are appended, the tail follows them). */
    private int headLength() {
        int end = offset + length - 1;
        while (end > offset && bytes[end] != '}') {
            end--;
        }
        return end - offset;
    }

    /**
     * The appended fields as JSON, then the closing brace: written after the source's bytes before its brace, so a
     * new field costs its own bytes, not a copy of the document. Encoded once per change of the appended fields.
     */
    private byte[] tail() {
        if (tail != null) {
            return tail;
        }
        int last = offset + headLength() - 1;
        while (last > offset && (bytes[last] == ' ' || bytes[last] == '\t' || bytes[last] == '\r' || bytes[last] == '\n')) {
            last--;
        }
        boolean empty = bytes[last] == '{';
        ByteArrayOutputStream out = new ByteArrayOutputStream(48 * appended.size());
        try {
            for (Map.Entry<String, Object> e : appended.entrySet()) {
                if (!empty) {
                    out.write(',');
                }
                empty = false;
                writeJson(out, e.getKey());
                out.write(':');
                writeJson(out, e.getValue());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("line " + line + ": a transform left a value that is not JSON: " + e.getMessage(), e);
        }
        out.write('}');
        tail = out.toByteArray();
        return tail;
    }

    /** A name or value as JSON: text directly (the common case), anything else through the mapper. */
    private static void writeJson(ByteArrayOutputStream out, Object value) throws IOException {
        if (value instanceof String text) {
            out.write('"');
            out.write(STRING_ENCODER.quoteAsUTF8(text));
            out.write('"');
        } else {
            out.write(MAPPER.writeValueAsBytes(value));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexDoc d && line == d.line && Objects.equals(index, d.index) && Objects.equals(id, d.id)
                && Objects.equals(routing, d.routing) && source().equals(d.source());
    }

    @Override
    public int hashCode() {
        return Objects.hash(line, index, id, routing, sourceLength());
    }

    @Override
    public String toString() {
        written();
        String source = source();
        return "IndexDoc[line=" + line + ", index=" + index + ", id=" + id + ", routing=" + routing + ", source="
                + (source.length() > 200 ? source.substring(0, 200) + "..." : source) + ']';
    }
}
