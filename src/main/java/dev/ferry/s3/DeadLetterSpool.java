package dev.ferry.s3;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.ferry.opensearch.IndexDoc;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The dead letters of one source object, spooled to a temp file (memory stays flat however many documents fail) and
 * uploaded as one NDJSON object at the end. One line per failed document:
 * <pre>
 * {"source":{"bucket":"in","key":"a/b.ndjson.gz","line":42},"status":400,
 *  "error":{"type":"mapper_parsing_exception","reason":"failed to parse field [price] ..."},
 *  "document":{"_index":"docs","_id":"...","_source":{...as read...}}}
 * </pre>
 * {@code document} is a dump-format line (id and routing kept), so a dead-letter object can be fixed and dropped
 * back under the source prefix to be replayed without duplicates. A line that is not JSON is kept as
 * {@code document_text} instead. Writers on several bulk threads append concurrently.
 */
public final class DeadLetterSpool implements Closeable {

    private static final JsonFactory JSON = new JsonFactory();

    private final String bucket;
    private final String key;
    private final Path file;
    private final OutputStream out;
    private final JsonGenerator json;
    private long count;

    public DeadLetterSpool(String bucket, String key) {
        this.bucket = bucket;
        this.key = key;
        try {
            this.file = Files.createTempFile("ferry-dead-letters-", ".ndjson");
            this.out = new BufferedOutputStream(Files.newOutputStream(file), 64 * 1024);
            this.json = JSON.createGenerator(out, JsonEncoding.UTF8);
            json.setRootValueSeparator(null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the dead-letter spool file", e);
        }
    }

    /** A document OpenSearch rejected (or that ran out of retries), as it was sent. */
    public synchronized void rejected(IndexDoc doc, int status, String errorType, String reason) {
        write(doc, status, errorType, reason, doc.source());
    }

    /** A document a route's transform sent to the dead letters (a dead-letter condition, a date it could not read), as read. */
    public synchronized void rejectedByTransform(IndexDoc doc, String reason) {
        write(doc, 0, "transform", reason, doc.sourceAsRead());
    }

    private void write(IndexDoc doc, int status, String errorType, String reason, String source) {
        try {
            begin(doc.line(), status, errorType, reason);
            json.writeObjectFieldStart("document");
            json.writeStringField("_index", doc.index());
            json.writeStringField("_id", doc.id());
            if (doc.routing() != null) {
                json.writeStringField("_routing", doc.routing());
            }
            json.writeFieldName("_source");
            json.writeRawValue(source);
            json.writeEndObject();
            end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A line that could not become a document (not JSON, too long). */
    public synchronized void unparseable(SourceLine line, String errorType, String reason) {
        try {
            begin(line.number(), 0, errorType, reason);
            json.writeStringField("document_text", line.text());
            if (line.truncated()) {
                json.writeBooleanField("document_truncated", true);
                json.writeNumberField("document_bytes", line.length());
            }
            end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void begin(long line, int status, String errorType, String reason) throws IOException {
        json.writeStartObject();
        json.writeObjectFieldStart("source");
        json.writeStringField("bucket", bucket);
        json.writeStringField("key", key);
        json.writeNumberField("line", line);
        json.writeEndObject();
        json.writeNumberField("status", status);
        json.writeObjectFieldStart("error");
        json.writeStringField("type", errorType);
        json.writeStringField("reason", reason);
        json.writeEndObject();
    }

    private void end() throws IOException {
        json.writeEndObject();
        json.flush();
        out.write('\n');
        count++;
    }

    public synchronized long count() {
        return count;
    }

    /** Flushes and returns the spool file (to upload); null when nothing was dead-lettered. */
    public synchronized Path finish() {
        try {
            json.flush();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count == 0 ? null : file;
    }

    @Override
    public synchronized void close() {
        try {
            json.close();
        } catch (IOException ignored) {
            // the file is deleted next
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover temp file is harmless
        }
    }
}
