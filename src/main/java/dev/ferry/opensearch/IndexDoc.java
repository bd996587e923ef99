package dev.ferry.opensearch;

/**
 * One document ready for a bulk index operation. {@code source} is the document's JSON exactly as it was read (never
 * re-serialized, so {@code 95.0} stays {@code 95.0}); {@code line} ties it back to its source line for dead letters.
 */
public record IndexDoc(long line, String index, String id, String routing, String source) {

    /** Bytes this document adds to a bulk body, roughly (action line plus source). */
    public long weight() {
        return source.length() + 64L + id.length() + index.length() + (routing == null ? 0 : routing.length());
    }
}
