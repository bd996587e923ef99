package dev.ferry.opensearch;

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
 */
public final class HitCursor implements Closeable {

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
    private String pitId;
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
              byte[] searchAfter, int pageSize) {
        this.reader = reader;
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
                    throw new SnapshotReader.OpenSearchReadException("unexpected " + t + " in hits of the search response");
                }
                // a short page is the last one; a full page may be followed by more
                exhausted = hitsInPage < pageSize;
                closePage();
            }
        } catch (IOException e) {
            closePage();
            throw new SnapshotReader.OpenSearchReadException("reading the search response failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closePage();
            throw e;
        }
    }

    private void openPage() throws IOException {
        InputStream body = reader.page(pitId, keepAlive, query, sortField, slice, slices, searchAfter, pageSize);
        recording = new RecordingInputStream(body);
        parser = SnapshotReader.parser(recording);
        hitsInPage = 0;
        if (parser.nextToken() != JsonToken.START_OBJECT) {
            throw new SnapshotReader.OpenSearchReadException("search response is not a JSON object");
        }
        // walk the top level up to hits.hits, checking what must hold on the way
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "pit_id" -> pitId = parser.getText(); // the id may change between requests: always use the latest
                case "timed_out" -> {
                    if (value == JsonToken.VALUE_TRUE) {
                        throw new SnapshotReader.OpenSearchReadException("search timed out (the page would be partial)");
                    }
                }
                case "_shards" -> SnapshotReader.requireAllShards(
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(parser), "reading a page");
                case "hits" -> {
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = parser.currentName();
                        parser.nextToken();
                        if (inner.equals("hits")) {
                            if (parser.currentToken() != JsonToken.START_ARRAY) {
                                throw new SnapshotReader.OpenSearchReadException("hits.hits is not an array");
                            }
                            recording.discardBefore(parser.getCurrentLocation().getByteOffset());
                            return; // positioned inside the hits array
                        }
                        parser.skipChildren();
                    }
                    throw new SnapshotReader.OpenSearchReadException("search response has no hits.hits");
                }
                default -> parser.skipChildren();
            }
        }
        throw new SnapshotReader.OpenSearchReadException("search response has no hits");
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
            throw new SnapshotReader.OpenSearchReadException("a hit without _index, _id or sort values");
        }
        if (sourceStart < 0) {
            throw new SnapshotReader.OpenSearchReadException("document " + index + "/" + id
                    + " has no _source (disabled in the mapping?): it cannot be dumped");
        }
    }

    /** Writes the current hit as one dump line; returns the bytes written. */
    public int writeLine(OutputStream out) {
        try {
            int n = 0;
            out.write(INDEX);
            n += INDEX.length + writeString(out, index);
            out.write(ID);
            n += ID.length + writeString(out, id);
            if (routing != null) {
                out.write(ROUTING);
                n += ROUTING.length + writeString(out, routing);
            }
            out.write(SOURCE);
            int from = recording.position(sourceStart);
            int length = (int) (sourceEnd - sourceStart);
            out.write(recording.array(), from, length);
            out.write(END);
            n += SOURCE.length + length + END.length;
            // the line is out: forget the bytes up to the end of this hit
            recording.discardBefore(parser.getCurrentLocation().getByteOffset());
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
