package dev.ferry.s3;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ferry.config.Sha256;
import dev.ferry.opensearch.IndexDoc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Turns one NDJSON line into a document to index, or says why it cannot be one.
 *
 * <p>A line in Ferry's dump format ({@code {"_index","_id","_routing","_source"}}, written by opensearch-to-s3) keeps
 * its id and routing, and its index when {@code indexFromLine}; any other JSON object is the document itself. The
 * {@code _source} is cut out of the line's bytes, not parsed and rewritten, so numbers and key order stay as read.
 * A document without an id gets a deterministic one (the configured id field, else a hash of bucket, key and line
 * number), so processing an object again overwrites instead of duplicating.
 */
public final class LineParser {

    private static final JsonFactory JSON = new JsonFactory();

    private final String defaultIndex;
    private final boolean indexFromLine;
    private final String idField;

    /** The outcome for one line: a document, or the reason it was rejected (then {@code doc} is null). */
    public record Parsed(IndexDoc doc, String errorType, String reason) {
        public boolean ok() {
            return doc != null;
        }
    }

    public LineParser(String defaultIndex, boolean indexFromLine, String idField) {
        this.defaultIndex = defaultIndex;
        this.indexFromLine = indexFromLine;
        this.idField = idField == null || idField.isBlank() ? null : idField.trim();
    }

    public Parsed parse(SourceLine line, String bucket, String key) {
        if (line.truncated()) {
            return new Parsed(null, "line_too_long", "line " + line.number() + " is " + line.length()
                    + " bytes, over the limit (ferry.s3-to-opensearch.max-line-bytes); its first "
                    + line.bytes().length + " bytes are kept");
        }
        byte[] bytes = line.bytes();
        String index = null;
        String id = null;
        String routing = null;
        int sourceStart = -1;
        int sourceEnd = -1;
        String fieldId = null;
        boolean sawMetaOnly = true;
        try (JsonParser p = JSON.createParser(bytes)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return invalid(line, "not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "_index" -> index = scalar(p, value);
                    case "_id" -> id = scalar(p, value);
                    case "_routing" -> routing = scalar(p, value);
                    case "_source" -> {
                        if (value == JsonToken.START_OBJECT) {
                            sourceStart = (int) p.currentTokenLocation().getByteOffset();
                            p.skipChildren();
                            sourceEnd = (int) p.currentTokenLocation().getByteOffset() + 1;
                        } else {
                            p.skipChildren();
                            sawMetaOnly = false;
                        }
                    }
                    default -> {
                        sawMetaOnly = sawMetaOnly && name.startsWith("_");
                        if (name.equals(idField)) {
                            fieldId = scalar(p, value);
                        }
                        p.skipChildren();
                    }
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT) {
                return invalid(line, "unexpected JSON structure");
            }
            if (p.nextToken() != null) {
                return invalid(line, "text after the JSON object");
            }
        } catch (IOException e) {
            return invalid(line, originalMessage(e));
        }

        boolean dump = sourceStart >= 0 && sawMetaOnly;
        String targetIndex = dump && indexFromLine && index != null && !index.isBlank() ? index : defaultIndex;
        int from;
        int to;
        String docId;
        if (dump) {
            from = sourceStart;
            to = sourceEnd;
            docId = id != null ? id : derivedId(bucket, key, line.number());
        } else {
            from = 0;
            to = bytes.length;
            while (from < to && isJsonWhitespace(bytes[from])) {
                from++;
            }
            while (to > from && isJsonWhitespace(bytes[to - 1])) {
                to--;
            }
            routing = null;
            docId = fieldId != null && !fieldId.isEmpty() ? fieldId : derivedId(bucket, key, line.number());
        }
        return new Parsed(new IndexDoc(line.number(), targetIndex, docId, routing, bytes, from, to - from), null, null);
    }

    private static boolean isJsonWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    private static String originalMessage(IOException e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe) {
            return jpe.getOriginalMessage() + " at column " + (jpe.getLocation() == null ? "?" : jpe.getLocation().getColumnNr());
        }
        return e.getMessage();
    }

    /** A text or number value as a string; null for anything else (skipped). */
    private static String scalar(JsonParser p, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    private static Parsed invalid(SourceLine line, String why) {
        return new Parsed(null, "invalid_json", "line " + line.number() + " is not a JSON document: " + why);
    }

    /** Same bucket, key and line number, same id: re-reading an object overwrites its documents. */
    public static String derivedId(String bucket, String key, long line) {
        byte[] hash = Sha256.newDigest().digest((bucket + '/' + key + '#' + line).getBytes(StandardCharsets.UTF_8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(hash, 18));
    }
}
