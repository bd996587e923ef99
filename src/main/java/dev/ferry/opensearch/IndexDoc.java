package dev.ferry.opensearch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ferry.records.Record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One document ready for a bulk index operation. Its source is the document's JSON exactly as it was read (never
 * re-serialized, so {@code 95.0} stays {@code 95.0}), kept as a range of the line's bytes: it goes into the bulk body
 * without being decoded to text and encoded back. {@code line} ties it back to its source line for dead letters.
 *
 * <p>As a {@link Record} (the transform stage's view) its fields are parsed only when a step reads one, and the
 * document is written again from them only when a step changed them ({@link #fields()}): a document a transform
 * did not touch, or only read in a condition, still goes to OpenSearch byte for byte as read. A step may also choose
 * its target index ({@link #setTarget}).
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
    private Map<String, Object> fields;
    private boolean changed;

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

    public int sourceLength() {
        written();
        return length;
    }

    /** Bytes this document adds to a bulk body, roughly (action line plus source). */
    public long weight() {
        return sourceLength() + 64L + id.length() + index.length() + (routing == null ? 0 : routing.length());
    }

    /** The fields, to change: the document is then written from them (a read-only look: {@link #view()}). */
    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = view();
        changed = true;
        return f;
    }

    @Override
    public Map<String, Object> view() {
        if (fields == null) {
            try {
                fields = MAPPER.readValue(bytes, offset, length, FIELDS);
            } catch (IOException e) {
                throw new UncheckedIOException("line " + line + ": the document cannot be read as JSON fields", e);
            }
        }
        return fields;
    }

    @Override
    public void setTarget(String target) {
        this.index = Objects.requireNonNull(target, "target index");
    }

    @Override
    public String where() {
        return "line " + line;
    }

    /** A changed document's bytes, written from its fields once per change. */
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

    @Override
    public boolean equals(Object o) {
        written();
        if (o instanceof IndexDoc other) {
            other.written();
        }
        return o instanceof IndexDoc d && line == d.line && index.equals(d.index) && id.equals(d.id)
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
