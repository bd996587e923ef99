package dev.ferry.bulk;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.ferry.accounting.RunAccount;
import dev.ferry.opensearch.IndexDoc;
import io.github.resilience4j.core.IntervalFunction;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.opensearch.client.Request;
import org.opensearch.client.Response;
import org.opensearch.client.ResponseException;
import org.opensearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Sends one batch as a bulk request and makes sure every document in it ends indexed or refused (dead-lettered by
 * its {@link BulkOwner}); the engine of {@code ferry-bulk:} ({@link BulkEndpoint}).
 *
 * <p>Why not the camel-opensearch producer: it does not fail the exchange on item errors, continues routing on the
 * HTTP client's dispatch thread (where waiting out a backoff would stall every other request), and resending only
 * the failed items would mean rebuilding its input by hand. Here the low-level RestClient that camel-opensearch and
 * opensearch-java ship is called synchronously on a bulk-pool thread: a busy node slows that thread, the pool fills,
 * and the reader waits. The body is written as NDJSON with the sources' bytes as read, and the response (filtered
 * by OpenSearch to each item's status and error) is streamed: no per-document object model, which
 * measured about twice as fast as opensearch-java's typed bulk on this machine.
 *
 * <p>Retries are item-level, so they are done here rather than by Camel redelivery (which would resend the whole
 * batch): each attempt sends only the documents that failed for a reason about the cluster (see
 * {@link BulkItemClassifier}), after an exponential backoff with jitter (resilience4j's interval function), up to
 * {@code maxRetries}. A whole request that fails with an I/O error (refused, reset, timed out), 429/5xx or a cluster
 * block is retried the same way. When the retries are spent, {@link ClusterFailureException} fails the source's run:
 * an outage is never dead-lettered document by document. Only documents OpenSearch refused one by one (4xx items)
 * go to the dead letters, at once.
 */
public final class BulkIndexer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BulkIndexer.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final ContentType NDJSON = ContentType.create("application/x-ndjson", StandardCharsets.UTF_8);

    private final Supplier<RestClient> clientFactory;
    private volatile RestClient client;
    private volatile boolean closed;
    private final int maxRetries;
    private final IntervalFunction backoff;
    private final long progressEveryMillis;

    /**
     * OpenSearch (the cluster, not a document) could not take a batch within the retries: unreachable, timing out,
     * answering 429/5xx, blocked. Fails the object's run; no document of it is dead-lettered for this.
     */
    public static final class ClusterFailureException extends IllegalStateException {
        public ClusterFailureException(String message) {
            super(message);
        }
    }

    /** What OpenSearch said about one item of a bulk request. */
    public record ItemResult(int status, String errorType, String reason) {
    }

    /** A document that failed, with what OpenSearch said. */
    public record Failure(IndexDoc doc, int status, String errorType, String reason) {
    }

    /** How one bulk response sorted the documents sent. */
    public record Sorted(int indexed, List<Failure> retryable, List<Failure> rejected) {

        /** Items the cluster refused as too busy (429, rejected execution): it asked Ferry to slow down. */
        public int throttled() {
            int n = 0;
            for (Failure f : retryable) {
                if (BulkItemClassifier.throttled(f.status(), f.errorType())) {
                    n++;
                }
            }
            return n;
        }
    }

    public BulkIndexer(Supplier<RestClient> clientFactory, int maxRetries, long initialDelayMs, long maxDelayMs,
                       long progressEveryMillis) {
        this.clientFactory = clientFactory;
        this.maxRetries = maxRetries;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(initialDelayMs, 2.0, 0.5, maxDelayMs);
        this.progressEveryMillis = progressEveryMillis;
    }

    /** What one call settled: documents indexed, and refused (handed to the owner). */
    public record Result(long indexed, long refused) {
    }

    /**
     * Indexes {@code docs}: refused documents go to {@code owner}; indexed, dead-lettered (refused), retried and
     * throttled counts go into {@code run} when there is one (a pipeline's run), and the totals are returned.
     */
    public Result index(List<IndexDoc> docs, BulkOwner owner, RunAccount run) {
        stopIfClosing(owner, null);
        List<IndexDoc> pending = docs;
        long indexed = 0;
        long refused = 0;
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            Sorted sorted;
            try {
                sorted = sort(pending, send(pending));
                if (run != null) {
                    run.throttled(sorted.throttled());
                }
            } catch (ResponseException e) {
                int status = e.getResponse().getStatusLine().getStatusCode();
                if (!BulkItemClassifier.retryableRequest(status, e.getMessage())) {
                    throw new IllegalStateException("OpenSearch refused a bulk request for " + owner.source()
                            + " with status " + status + ": " + excerpt(e.getMessage()), e);
                }
                if (status == 429 && run != null) {
                    run.throttled(1); // one answer for the whole request
                }
                sorted = allRetryable(pending, status, "http_" + status, excerpt(e.getMessage()));
            } catch (IOException e) {
                stopIfClosing(owner, e);
                sorted = allRetryable(pending, 0, "request_failed", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            indexed += sorted.indexed();
            refused += sorted.rejected().size();
            for (Failure f : sorted.rejected()) {
                owner.refused(f.doc(), f.status(), f.errorType(), f.reason());
            }
            if (run != null) {
                run.written(sorted.indexed());
                run.deadLettered(sorted.rejected().size());
            }
            List<Failure> retryable = sorted.retryable();
            if (retryable.isEmpty()) {
                break;
            }
            if (attempt > maxRetries) {
                // About the cluster, not these documents: the run fails, the source stays and is read again later.
                Failure first = retryable.get(0);
                owner.abandon(first.errorType() + ": " + excerpt(first.reason()));
                throw new ClusterFailureException("OpenSearch did not take " + retryable.size() + " document(s) of "
                        + owner.source() + " after " + attempt + " attempts (" + first.errorType() + ": "
                        + excerpt(first.reason()) + "); the run fails and the source is read again later");
            }
            stopIfClosing(owner, null);
            if (run != null) {
                run.retried(retryable.size());
            }
            long delay = backoff.apply(attempt);
            LOG.debug("retrying {} document(s) of {} in {} ms (attempt {}): {}", retryable.size(), owner.source(),
                    delay, attempt + 1, retryable.get(0).reason());
            sleep(delay);
            pending = retryable.stream().map(Failure::doc).toList();
        }
        if (run != null && owner.progressDue(progressEveryMillis)) {
            LOG.info("progress pipeline={} subject={} read={} written={} dead_lettered={} retried={} mb_read={}",
                    run.pipeline(), run.subject(), run.read(), run.written(), run.deadLettered(), run.retried(),
                    owner.bytesRead() / (1024 * 1024));
        }
        return new Result(indexed, refused);
    }

    /**
     * Once Ferry is stopping, or another batch of the source found the cluster failing, the source fails and is read
     * again later: nothing more is retried or dead-lettered.
     */
    private void stopIfClosing(BulkOwner owner, Exception cause) {
        if (closed) {
            throw new IllegalStateException("Ferry is stopping; " + owner.source() + " is left to be processed again", cause);
        }
        String abandoned = owner.abandoned();
        if (abandoned != null) {
            throw new ClusterFailureException("OpenSearch failing for " + owner.source() + " (" + abandoned
                    + "); the run fails and the source is read again later");
        }
    }

    private List<ItemResult> send(List<IndexDoc> docs) throws IOException {
        Request request = new Request("POST", "/_bulk");
        // Only what is checked comes back: a full item echoes index, id, version, shards and sequence numbers, which
        // OpenSearch would serialize and Ferry parse for every document.
        request.addParameter("filter_path", "errors,items.*.status,items.*.error");
        BulkBody body = BulkBody.of(docs);
        request.setEntity(new ByteArrayEntity(body.array(), 0, body.size(), NDJSON));
        Response response = client().performRequest(request);
        try (InputStream in = response.getEntity().getContent()) {
            return items(in);
        }
    }

    /** The _bulk body as bytes (for tests). */
    static byte[] body(List<IndexDoc> docs) {
        return BulkBody.of(docs).toByteArray();
    }

    /**
     * A _bulk body: per document an action line (index, id, routing; JSON-escaped) and its source bytes as read,
     * written straight into one buffer that is sent as it is, without a final copy.
     */
    private static final class BulkBody extends ByteArrayOutputStream {

        private static final JsonStringEncoder ESCAPE = JsonStringEncoder.getInstance();
        private static final byte[] ID = bytes("\",\"_id\":\"");
        private static final byte[] ROUTING = bytes("\",\"routing\":\""); // 3.x refuses the old "_routing"
        private static final byte[] END = bytes("\"}}\n");

        private BulkBody(int size) {
            super(size);
        }

        static BulkBody of(List<IndexDoc> docs) {
            long size = 0;
            for (IndexDoc doc : docs) {
                size += doc.weight() + 2;
            }
            BulkBody out = new BulkBody((int) Math.min(size + 1024, Integer.MAX_VALUE - 16));
            String index = null;
            byte[] action = null;
            for (IndexDoc doc : docs) {
                if (!doc.index().equals(index)) {
                    index = doc.index();
                    action = bytes("{\"index\":{\"_index\":\"" + new String(ESCAPE.quoteAsString(index)));
                }
                out.writeBytes(action);
                if (doc.id() != null) { // standalone documents may leave the id to OpenSearch
                    out.writeBytes(ID);
                    out.writeBytes(ESCAPE.quoteAsUTF8(doc.id()));
                }
                if (doc.routing() != null) {
                    out.writeBytes(ROUTING);
                    out.writeBytes(ESCAPE.quoteAsUTF8(doc.routing()));
                }
                out.writeBytes(END);
                doc.writeSource(out);
                out.write('\n');
            }
            return out;
        }

        byte[] array() {
            return buf;
        }

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Each item's status and error from a _bulk response, in request order, reading nothing else into memory. */
    static List<ItemResult> items(InputStream response) throws IOException {
        List<ItemResult> items = new ArrayList<>();
        try (JsonParser p = JSON.createParser(response)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("bulk response is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!"items".equals(field)) {
                    p.skipChildren();
                    continue;
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    p.nextToken();               // the operation: "index"
                    p.nextToken();               // its object
                    items.add(item(p));
                    p.nextToken();               // end of the item
                }
            }
        }
        return items;
    }

    private static ItemResult item(JsonParser p) throws IOException {
        int status = 0;
        String type = null;
        String reason = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("status".equals(field)) {
                status = p.getIntValue();
            } else if ("error".equals(field) && value == JsonToken.START_OBJECT) {
                String[] error = error(p, 0);
                type = error[0];
                reason = error[1];
            } else {
                p.skipChildren();
            }
        }
        return new ItemResult(status, type, reason);
    }

    /** An error's type and reason, its causes appended (three deep) as "(caused by type: reason)". */
    private static String[] error(JsonParser p, int depth) throws IOException {
        String type = null;
        StringBuilder reason = new StringBuilder();
        String cause = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if ("type".equals(field)) {
                type = p.getText();
            } else if ("reason".equals(field) && value == JsonToken.VALUE_STRING) {
                reason.append(p.getText());
            } else if ("caused_by".equals(field) && value == JsonToken.START_OBJECT && depth < 3) {
                String[] c = error(p, depth + 1);
                cause = " (caused by " + c[0] + ": " + c[1] + ')';
            } else {
                p.skipChildren();
            }
        }
        if (reason.length() == 0) {
            reason.append(type);
        }
        return new String[] {type, cause == null ? reason.toString() : reason + cause};
    }

    /** Sorts a bulk response's items (in request order) against the documents sent. */
    public static Sorted sort(List<IndexDoc> sent, List<ItemResult> items) {
        if (items.size() != sent.size()) {
            throw new IllegalStateException("bulk response has " + items.size() + " items for " + sent.size() + " documents");
        }
        int indexed = 0;
        List<Failure> retryable = new ArrayList<>();
        List<Failure> rejected = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            ItemResult item = items.get(i);
            String type = item.errorType();
            switch (BulkItemClassifier.classify(item.status(), type)) {
                case INDEXED -> indexed++;
                case RETRYABLE -> retryable.add(new Failure(sent.get(i), item.status(), type == null ? "http_" + item.status() : type,
                        item.reason()));
                case REJECTED -> rejected.add(new Failure(sent.get(i), item.status(), type == null ? "http_" + item.status() : type,
                        item.reason()));
            }
        }
        return new Sorted(indexed, retryable, rejected);
    }

    private static Sorted allRetryable(List<IndexDoc> docs, int status, String type, String reason) {
        return new Sorted(0, docs.stream().map(d -> new Failure(d, status, type, reason)).toList(), List.of());
    }

    private static String excerpt(String message) {
        return message == null ? "" : message.length() > 500 ? message.substring(0, 500) + "..." : message;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry a bulk request", e);
        }
    }

    private RestClient client() {
        if (closed) {
            throw new IllegalStateException("Ferry is stopping: no new bulk requests");
        }
        RestClient c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    c = client = clientFactory.get();
                }
            }
        }
        return c;
    }

    @Override
    public synchronized void close() throws IOException {
        closed = true;
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
