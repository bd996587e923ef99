package dev.ferry.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pulls the hits of one slice of a point in time, page after page ({@code search_after} the previous page's last
 * sort values). For each hit it keeps {@code _index}, {@code _id}, {@code _routing}, where the raw {@code sort} and
 * {@code _source} lie in the page, and writes the dump line
 * {@code {"_index":..,"_id":..,"_routing":..,"_source":<the server's bytes>}} without ever turning the source into
 * objects: numbers ({@code 95.0}, 30-digit integers), unicode and spacing stay exactly as stored.
 * <p>
 * The next page is fetched ahead: as soon as a page is read and parsed (its last hit's sort values known), a
 * background thread asks for the next one and parses it while the caller works through the hits of this one
 * (gzips, uploads, transforms). So the server's search, the parse and the caller's work overlap. At most two pages
 * of a slice are held: the one being handed out and the one fetched ahead; the one after that is asked for only
 * when the caller moves on to the page fetched ahead, and is read into the array of the page before (pages are not
 * garbage: a slice reads into the same two or three arrays).
 * <p>
 * A page that fails in a way a later request may not (connection refused or reset, a timeout, 429, 5xx, a body cut
 * off midway) is fetched again, as its {@link Retry} allows, with {@code search_after} the last hit already handed
 * out: the hits before it are not read twice and none after it is skipped. A page fetched ahead that failed fails
 * only when the caller reaches it, and is then fetched again the same way.
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

    /** Threads that fetch pages ahead; idle ones end after a minute, none keeps the JVM alive. */
    private static final ExecutorService FETCH_AHEAD = Executors.newCachedThreadPool(task -> {
        Thread t = new Thread(task, "ferry-snapshot-fetch-ahead");
        t.setDaemon(true);
        return t;
    });

    private final SnapshotReader reader;
    private final String keepAlive;
    private final String query;
    private final String sortField;
    private final int slice;
    private final int slices;
    private final int pageSize;
    private final Retry retry;
    private String pitId;
    private byte[] searchAfter; // the sort values of the last hit of the last page handed out in full

    private Page page;          // the page whose hits are handed out
    private int hit = -1;       // the current hit in it
    private Future<Page> ahead; // the next page, fetched in the background
    private byte[] spare;       // the bytes of the page handed out before this one: the next fetch reads into them
    private boolean exhausted;  // no page after this one
    private volatile boolean closed;

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
                if (!e.retryable()) {
                    throw e;
                }
                if (!retry.awaitRetry(attempt, e)) {
                    throw attempt == 1 ? e : new SnapshotReader.OpenSearchReadException(e.getMessage()
                            + " (still failing after " + (attempt - 1) + " retries)", e, true);
                }
                // fetched again from searchAfter, the last hit handed out: nothing twice, nothing skipped
            }
        }
    }

    private boolean advance() {
        while (true) {
            if (page != null) {
                if (hit + 1 < page.size) {
                    hit++;
                    return true;
                }
                // a short page is the last one; a full page may be followed by more
                exhausted = page.size < pageSize;
                if (page.size > 0) {
                    searchAfter = page.sort(page.size - 1);
                }
                spare = page.bytes; // nothing of this page is handed out any more
                page = null;
            }
            if (exhausted || closed) {
                return false;
            }
            Future<Page> fetched = ahead;
            ahead = null;
            Page next = fetched != null ? await(fetched) : fetch(pitId, searchAfter, takeSpare());
            page = next;
            hit = -1;
            pitId = next.pitId; // the id may change between requests: always use the latest
            if (next.size == pageSize) {
                String pit = next.pitId;
                byte[] after = next.sort(next.size - 1);
                byte[] into = takeSpare();
                ahead = FETCH_AHEAD.submit(() -> fetch(pit, after, into));
            }
        }
    }

    private Page await(Future<Page> fetched) {
        try {
            return fetched.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fetched.cancel(true);
            throw new SnapshotReader.OpenSearchReadException("interrupted while waiting for a page of slice " + slice);
        }
    }

    private byte[] takeSpare() {
        byte[] b = spare;
        spare = null;
        return b;
    }

    /**
     * Asks for the page after {@code after} and reads it whole (one page: {@code pageSize} hits), into {@code into}
     * when it is large enough: a slice then reads page after page into the same two or three arrays instead of
     * leaving one page-sized array of garbage per page (which the garbage collector made room for by growing the heap).
     */
    private Page fetch(String pit, byte[] after, byte[] into) {
        String host = reader.currentHost();
        try {
            SnapshotReader.PageBody body = reader.page(pit, keepAlive, query, sortField, slice, slices, after, pageSize);
            host = reader.currentHost();
            int[] length = new int[1];
            byte[] bytes = readWhole(body, into, length);
            return Page.parse(bytes, length[0], host, pit, slice, pageSize);
        } catch (IOException e) {
            // the body broke off (reset, timeout, cut short): a retry asks again after the last hit handed out
            throw new SnapshotReader.OpenSearchReadException("reading a page of slice " + slice + " from OpenSearch "
                    + host + " failed: " + SnapshotReader.describe(e), e, true);
        }
    }

    /**
     * The whole body, when the server announced its length into {@code into} if it fits, else into a new array an
     * eighth larger (readAllBytes would gather it in pieces and copy it again); its length goes to {@code length[0]}.
     * A body shorter than announced is cut off.
     */
    private static byte[] readWhole(SnapshotReader.PageBody body, byte[] into, int[] length) throws IOException {
        try (InputStream in = body.in()) {
            if (body.length() < 0 || body.length() > Integer.MAX_VALUE / 2) {
                byte[] all = in.readAllBytes();
                length[0] = all.length;
                return all;
            }
            int announced = (int) body.length();
            byte[] bytes = into != null && into.length >= announced ? into : new byte[announced + announced / 8];
            int n = in.readNBytes(bytes, 0, announced);
            if (n < announced) {
                throw new java.io.EOFException("the body broke off after " + n + " of its " + announced + " bytes");
            }
            length[0] = announced;
            return bytes;
        }
    }

    /**
     * Writes a source as part of one NDJSON line: a line break in it (CR or LF, as a document indexed pretty-printed
     * keeps them in its stored {@code _source}) is written as a space. In valid JSON a raw line break can only be
     * whitespace between tokens (inside a string it must be escaped), so the document means the same, at the same
     * length; written as is, it would split the document over several lines, which no NDJSON reader takes whole.
     */
    static void writeOnOneLine(OutputStream out, byte[] b, int from, int length) throws IOException {
        int end = from + length;
        int start = from;
        for (int i = from; i < end; i++) {
            if (isLineBreak(b[i])) {
                out.write(b, start, i - start);
                out.write(' ');
                start = i + 1;
            }
        }
        out.write(b, start, end - start);
    }

    /** CR or LF: what {@link #writeOnOneLine} writes as a space. */
    private static boolean isLineBreak(int c) {
        return c == '\n' || c == '\r';
    }

    /** Writes the current hit as one dump line; returns the bytes written. */
    public int writeLine(OutputStream out) {
        try {
            int n = writeHead(out, index(), id(), routing());
            int from = page.sourceFrom[hit];
            int length = page.sourceTo[hit] - from;
            writeOnOneLine(out, page.bytes, from, length);
            out.write(END);
            return n + length + END.length;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The current hit as a document for the transform stage: its source bytes copied out of the page. */
    public dev.ferry.opensearch.IndexDoc takeDoc(long number) {
        return takeDoc(number, true);
    }

    /** As {@link #takeDoc(long)}; without {@code keepIndex} the document has no index: its sink chooses one. */
    public dev.ferry.opensearch.IndexDoc takeDoc(long number, boolean keepIndex) {
        int from = page.sourceFrom[hit];
        int length = page.sourceTo[hit] - from;
        byte[] source = Arrays.copyOfRange(page.bytes, from, from + length);
        return new dev.ferry.opensearch.IndexDoc(number, keepIndex ? index() : null, id(), routing(), source, 0, length);
    }

    /** Writes a document as one dump line (its source as the transform left it); returns the bytes written. */
    public static int writeLine(dev.ferry.opensearch.IndexDoc doc, OutputStream out) {
        try {
            int n = writeHead(out, doc.index(), doc.id(), doc.routing());
            n += doc.writeSource(new java.io.FilterOutputStream(out) {
                @Override
                public void write(int c) throws IOException {
                    out.write(isLineBreak(c) ? ' ' : c);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    writeOnOneLine(out, b, off, len);
                }
            });
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

    public String index() { return page.index[hit]; }
    public String id() { return page.id[hit]; }
    public String routing() { return page.routing[hit]; }
    /**
     * The raw JSON sort values of the current hit: the search_after that resumes right after it. Once the slice is
     * exhausted, those of its last hit (null when it had none).
     */
    public byte[] sort() { return page != null && hit >= 0 ? page.sort(hit) : searchAfter; }
    public String pitId() { return pitId; }

    /** Drops the page held and the one fetched ahead (its request is abandoned). */
    @Override
    public void close() {
        closed = true;
        page = null;
        spare = null;
        if (ahead != null) {
            ahead.cancel(true);
            ahead = null;
        }
    }

    /** One page read whole: its bytes and, per hit, the fields and where its sort values and source lie. */
    private static final class Page {
        final byte[] bytes;
        String pitId;
        final String[] index;
        final String[] id;
        final String[] routing;
        final int[] sortFrom;
        final int[] sortTo;
        final int[] sourceFrom;
        final int[] sourceTo;
        int size;

        private Page(byte[] bytes, int capacity) {
            this.bytes = bytes;
            index = new String[capacity];
            id = new String[capacity];
            routing = new String[capacity];
            sortFrom = new int[capacity];
            sortTo = new int[capacity];
            sourceFrom = new int[capacity];
            sourceTo = new int[capacity];
        }

        byte[] sort(int hit) {
            return Arrays.copyOfRange(bytes, sortFrom[hit], sortTo[hit]);
        }

        /** Parses a search response: checks what must hold (not timed out, no shard failures) and finds the hits. */
        static Page parse(byte[] bytes, int length, String host, String pit, int slice, int pageSize) throws IOException {
            try (JsonParser parser = SnapshotReader.JSON.createParser(bytes, 0, length)) {
                if (parser.nextToken() != JsonToken.START_OBJECT) {
                    throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + host + " is not a JSON object");
                }
                Page page = null;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (field) {
                        case "pit_id" -> pit = parser.getText();
                        case "timed_out" -> {
                            if (value == JsonToken.VALUE_TRUE) {
                                // nothing of this page was handed out yet: asking again is safe
                                throw new SnapshotReader.OpenSearchReadException("OpenSearch " + host + " timed out on a"
                                        + " page of slice " + slice + " (the page would be partial)", null, true);
                            }
                        }
                        case "_shards" -> SnapshotReader.requireAllShards(
                                new com.fasterxml.jackson.databind.ObjectMapper().readTree(parser), "reading a page from OpenSearch " + host);
                        case "hits" -> page = readHits(parser, bytes, host, pageSize);
                        default -> parser.skipChildren();
                    }
                }
                if (page == null) {
                    throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + host + " has no hits");
                }
                page.pitId = pit;
                return page;
            }
        }

        private static Page readHits(JsonParser parser, byte[] bytes, String host, int pageSize) throws IOException {
            Page page = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String inner = parser.currentName();
                parser.nextToken();
                if (!inner.equals("hits")) {
                    parser.skipChildren();
                    continue;
                }
                if (parser.currentToken() != JsonToken.START_ARRAY) {
                    throw new SnapshotReader.OpenSearchReadException("hits.hits from OpenSearch " + host + " is not an array");
                }
                page = new Page(bytes, pageSize);
                JsonToken t;
                while ((t = parser.nextToken()) == JsonToken.START_OBJECT) {
                    if (page.size == pageSize) {
                        throw new SnapshotReader.OpenSearchReadException("OpenSearch " + host + " sent more than "
                                + pageSize + " hits in a page of " + pageSize);
                    }
                    page.readHit(parser, host);
                }
                if (t != JsonToken.END_ARRAY) {
                    throw new SnapshotReader.OpenSearchReadException("unexpected " + t + " in hits of the search response"
                            + " from OpenSearch " + host);
                }
            }
            if (page == null) {
                throw new SnapshotReader.OpenSearchReadException("the search response from OpenSearch " + host + " has no hits.hits");
            }
            return page;
        }

        private void readHit(JsonParser parser, String host) throws IOException {
            int i = size;
            String idx = null;
            String docId = null;
            String route = null;
            sortFrom[i] = -1;
            sourceFrom[i] = -1;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "_index" -> idx = parser.getText();
                    case "_id" -> docId = parser.getText();
                    case "_routing" -> route = value == JsonToken.VALUE_NULL ? null : parser.getText();
                    case "_source" -> {
                        sourceFrom[i] = (int) parser.getTokenLocation().getByteOffset();
                        parser.skipChildren();
                        sourceTo[i] = (int) parser.getCurrentLocation().getByteOffset();
                    }
                    case "sort" -> {
                        sortFrom[i] = (int) parser.getTokenLocation().getByteOffset();
                        parser.skipChildren();
                        sortTo[i] = (int) parser.getCurrentLocation().getByteOffset();
                    }
                    default -> parser.skipChildren();
                }
            }
            if (docId == null || idx == null || sortFrom[i] < 0) {
                throw new SnapshotReader.OpenSearchReadException("a hit without _index, _id or sort values from OpenSearch " + host);
            }
            if (sourceFrom[i] < 0) {
                throw new SnapshotReader.OpenSearchReadException("document " + idx + "/" + docId
                        + " has no _source (disabled in the mapping?): it cannot be dumped");
            }
            index[i] = idx;
            id[i] = docId;
            routing[i] = route;
            size++;
        }
    }
}
