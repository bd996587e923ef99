package dev.ferry.opensearch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One document ready for a bulk index operation. Its source is the document's JSON exactly as it was read (never
 * re-serialized, so {@code 95.0} stays {@code 95.0}), kept as a range of the line's bytes: it goes into the bulk body
 * without being decoded to text and encoded back. {@code line} ties it back to its source line for dead letters.
 */
public final class IndexDoc {

    private final long line;
    private final String index;
    private final String id;
    private final String routing;
    private final byte[] bytes;
    private final int offset;
    private final int length;

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

    /** The source as text (for dead letters and tests; the bulk body takes the bytes). */
    public String source() {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /** Appends the source bytes as read. */
    public void writeSource(ByteArrayOutputStream out) {
        out.write(bytes, offset, length);
    }

    public int sourceLength() {
        return length;
    }

    /** Bytes this document adds to a bulk body, roughly (action line plus source). */
    public long weight() {
        return length + 64L + id.length() + index.length() + (routing == null ? 0 : routing.length());
    }

    @Override
    public boolean equals(Object o) {
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
        return "IndexDoc[line=" + line + ", index=" + index + ", id=" + id + ", routing=" + routing + ", source="
                + (length > 200 ? new String(bytes, offset, 200, StandardCharsets.UTF_8) + "..." : source()) + ']';
    }
}
