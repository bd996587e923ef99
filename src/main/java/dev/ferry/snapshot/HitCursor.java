package dev.ferry.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Pulls the hits of one slice of a point in time, page after page ({@code search_after} the previous page's last
 * sort values), each page parsed as it streams in. For each hit it keeps {@code _index}, {@code _id},
 * {@code _routing}, the raw bytes of {@code sort}, and where the raw {@code _source} lies in the stream, and writes
 * the dump line {@code {"_index":..,"_id":..,"_routing":..,"_source":<the server's bytes>}} without ever turning
 * the source into objects: numbers ({@code 95.0}, 30-digit integers), unicode and spacing stay exactly as stored.
 * <p>
 * A page that fails in a way a later request may not (connection refused or reset, a timeout, 429, 5xx, a body cut
 * off midway) is fetched again, as its {@link Retry} allows, with {@code search_after} the last hit already handed
 * out: the hits before it are not read twice and none after it is skipped.
 */
public final class HitCursor implements Closeable {

    /** Whether a failed page is fetched again: waits out the backoff and says yes, or says no (budget spent). */
    @FunctionalInterface
    public interface Retry {
        /** {@code retry} counts from 1 for the first retry after a failure; hits handed out in between reset it. */
        boolean awaitRetry(int retry, SnapshotReader.OpenSearchReadException failure);
    }

    private static final byte[] INDEX = "{\"_index\":".getBytes();
    private static final byte[] ID = ",\"_id\":".getBytes();
    private static final byte[] ROUTING = ",\"_routing\":".getBytes();
    private static final byte[] SOURCE = ",\"_source\":".getBytes();
    private static final byte[] END = "}\n".getBytes();

    private final SnapshotReader reader;
    private final String keepAlive;
    private final String query;
    private final String sortField;
    private final int slice;
    private final int slices;
    private final int pageSize;
    private final Retry retry;
    private String pitId;
    private String pageHost;
    private byte[] searchAfter;

    private RecordingInputStream recording;
    private JsonParser parser;
    private int hitsInPage;
    private boolean exhausted;

    // the current hit
    private String index;
    private String id;
    private String routing;
    private long sourceStart;
    private long sourceEnd;
    private byte[] sort;

    HitCursor(SnapshotReader reader, String pitId, String keepAlive, String query, String sortField, int slice, int slices,
              byte[] searchAfter, int pageSize, Retry retry) {
        this.reader = reader;
        this.retry = retry;
        this.pitId = pitId;
        this.keepAlive = keepAlive;
        this.query = query;
        this.sortField = sortField;
        this.slice = slice;
        this.slices = slices;
        this.searchAfter = searchAfter;
        this.pageSize = pageSize;
    }

    /** Moves to the next hit; false when the slice is exhausted. */
    public boolean next() {
        for (int attempt = 1; ; attempt++) {
            try {
                return advance();
            } catch (SnapshotReader.OpenSearchReadException e) {
                closePage();
                if (!e.retryable()) {
                    throw e;
                }
                if (!retry.awaitRetry(attempt, e)) {
                    throw attempt == 1 ? e : new SnapshotReader.OpenSearchReadException(e.getMessage()
                            + " (still failing after " + (attempt - 1) + " retries)", e, true);
                }
                // fetched again from searchAfter, the last hit handed out: nothing twice, nothing skipped
            } catch (RuntimeException e) {
                closePage();
                throw e;
            }
        }
    }

    private boolean advance() {
        try {
            while (true) {
                if (parser == null) {
                    if (exhausted) {
                        return false;
                    }
                    openPage();
                }
                JsonToken t = parser.nextToken();
                if (t == JsonToken.START_OBJECT) {
                    readHit();
                    hitsInPage++;
                    searchAfter = sort;
                    return true;
                }
                if (t != JsonToken.END_ARRAY) {
                    throw new SnapshotReader.OpenSearchReadException("unexpected " + t + " in hits of the search response"
                            + " from OpenSearch " + pageHost);
                }
                // a short page is the last one; a full page may be followed by more
                exhausted = hitsInPage < pageSize;
                closePage();
            }
        } catch (IOException e) {
            // the body broke off (reset, timeout, cut short): a retry asks again after the last hit handed out
            throw new SnapshotReader.OpenSearchReadException("reading a page of slice " + slice + " from OpenSearch "
                    + pageHost + " failed: " + SnapshotReader.describe(e), e, true);
        }
    }

    private void openPage() throws IOException {
        pageHost = reader.currentHost();
        InputStream body = reader.page(pitId, keepAlive, query, sortField, slice, slices, searchAfter, pageSize);
        pageHost = reader.currentHost();
        recording = new RecordingInputStream(body);
        parser = SnapshotReader.parser(recording);
        hitsInPage = 0;
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + pageHost + " is not a JSON object");
        }
        // walk the top level up to hits.hits, checking what must hold on the way
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "pit_id" -> pitId = parser.getText(); // the id may change between requests: always use the latest
                case "timed_out" -> {
                    if (value == JsonToken.VALUE_TRUE) {
                        // nothing of this page was handed out yet: asking again is safe
                        throw new SnapshotReader.OpenSearchReadException("OpenSearch " + pageHost + " timed out on a page"
                                + " of slice " + slice + " (the page would be partial)", null, true);
                    }
                }
                case "_shards" -> SnapshotReader.requireAllShards(
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(parser), "reading a page from OpenSearch " + pageHost);
                case "hits" -> {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = parser.currentName();
                        parser.nextToken();
                        if (inner.equals("hits")) {
                            if (parser.currentToken() != JsonToken.START_ARRAY) {
                                throw new SnapshotReader.OpenSearchReadException("hits.hits from OpenSearch " + pageHost + " is not an array");
                            }
                            recording.discardBefore(parser.getCurrentLocation().getByteOffset());
                            return; // positioned inside the hits array
                        }
                        parser.skipChildren();
                    }
                    throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + pageHost + " has no hits.hits");
                }
                default -> parser.skipChildren();
            }
        }
        throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + pageHost + " has no hits");
    }

    private void readHit() throws IOException {
        index = null;
        id = null;
        routing = null;
        sort = null;
        sourceStart = -1;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "_index" -> index = parser.getText();
                case "_id" -> id = parser.getText();
                case "_routing" -> routing = value == JsonToken.VALUE_NULL ? null : parser.getText();
                case "_source" -> {
                    sourceStart = parser.getTokenLocation().getByteOffset();
                    parser.skipChildren();
                    sourceEnd = parser.getCurrentLocation().getByteOffset();
                }
                case "sort" -> {
                    long from = parser.getTokenLocation().getByteOffset();
                    parser.skipChildren();
                    sort = recording.copy(from, parser.getCurrentLocation().getByteOffset());
                }
                default -> parser.skipChildren();
            }
        }
        if (id == null || index == null || sort == null) {
            throw new SnapshotReader.OpenSearchReadException("a hit without _index, _id or sort values from OpenSearch " + pageHost);
        }
        if (sourceStart < 0) {
            throw new SnapshotReader.OpenSearchReadException("document " + index + "/" + id
                    + " has no _source (disabled in the mapping?): it cannot be dumped");
        }
    }

    /** Writes the current hit as one dump line; returns the bytes written. */
    public int writeLine(OutputStream out) {
        try {
            int n = writeHead(out, index, id, routing);
            int from = recording.position(sourceStart);
            int length = (int) (sourceEnd - sourceStart);
            out.write(recording.array(), from, length);
            out.write(END);
            // the line is out: forget the bytes up to the end of this hit
            recording.discardBefore(parser.getCurrentLocation().getByteOffset());
            return n + length + END.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The current hit as a document for the transform stage: its source bytes copied out of the page buffer (which
     * moves on), the hit then forgotten like {@link #writeLine} does.
     */
    public dev.ferry.opensearch.IndexDoc takeDoc(long number) {
        return takeDoc(number, true);
    }

    /** As {@link #takeDoc(long)}; without {@code keepIndex} the document has no index: its sink chooses one. */
    public dev.ferry.opensearch.IndexDoc takeDoc(long number, boolean keepIndex) {
        int from = recording.position(sourceStart);
        int length = (int) (sourceEnd - sourceStart);
        byte[] source = java.util.Arrays.copyOfRange(recording.array(), from, from + length);
        recording.discardBefore(parser.getCurrentLocation().getByteOffset());
        return new dev.ferry.opensearch.IndexDoc(number, keepIndex ? index : null, id, routing, source, 0, length);
    }

    /** Writes a document as one dump line (its source as the transform left it); returns the bytes written. */
    public static int writeLine(dev.ferry.opensearch.IndexDoc doc, OutputStream out) {
        try {
            int n = writeHead(out, doc.index(), doc.id(), doc.routing());
            n += doc.writeSource(out);
            out.write(END);
            return n + END.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A dump line up to its source: {"_index":..,"_id":..[,"_routing":..],"_source": ; returns the bytes written. */
    private static int writeHead(OutputStream out, String index, String id, String routing) throws IOException {
        out.write(INDEX);
        int n = INDEX.length + writeString(out, index);
        out.write(ID);
        n += ID.length + writeString(out, id);
        if (routing != null) {
            out.write(ROUTING);
            n += ROUTING.length + writeString(out, routing);
        }
        out.write(SOURCE);
        return n + SOURCE.length;
    }

    private static int writeString(OutputStream out, String s) throws IOException {
        byte[] quoted = JsonStringEncoder.getInstance().quoteAsUTF8(s);
        out.write('"');
        out.write(quoted);
        out.write('"');
        return quoted.length + 2;
    }

    public String index() { return index; }
    public String id() { return id; }
    public String routing() { return routing; }
    /** The raw JSON sort values of the current hit: the search_after that resumes right after it. */
    public byte[] sort() { return sort; }
    public String pitId() { return pitId; }

    private void closePage() {
        try {
            if (parser != null) {
                parser.close();
            }
            if (recording != null) {
                recording.close();
            }
        } catch (IOException ignored) {
            // the connection is dropped either way
        }
        parser = null;
        recording = null;
    }

    @Override
    public void close() {
        closePage();
    }
}
