package dev.ferry.opensearch;

import dev.ferry.s3.ObjectJob;
import io.github.resilience4j.core.IntervalFunction;
import org.apache.camel.Exchange;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.OpenSearchException;
import org.opensearch.client.opensearch.core.BulkRequest;
import org.opensearch.client.opensearch.core.BulkResponse;
import org.opensearch.client.opensearch.core.bulk.BulkOperation;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.opensearch.client.opensearch.core.bulk.IndexOperation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Sends one batch as a bulk request and makes sure every document in it ends indexed or dead-lettered.
 *
 * <p>Why not the camel-opensearch producer: it does not fail the exchange on item errors, continues routing on the
 * HTTP client's dispatch thread (where waiting out a backoff would stall every other request), and resending only
 * the failed items would mean rebuilding its input by hand. Here the opensearch-java client it ships is called
 * synchronously on a bulk-pool thread: a busy node slows that thread, the pool fills, and the reader waits.
 *
 * <p>Retries are item-level, so they are done here rather than by Camel redelivery (which would resend the whole
 * batch): each attempt sends only the documents that failed with a retryable status, after an exponential backoff
 * with jitter (resilience4j's interval function), up to {@code maxRetries}. A whole request that fails with an I/O
 * error or a retryable status is retried the same way. What still fails goes to the object's dead letters.
 */
public final class BulkIndexer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BulkIndexer.class);

    private final java.util.function.Supplier<OpenSearchClient> clientFactory;
    private volatile OpenSearchClient client;
    private volatile boolean closed;
    private final int maxRetries;
    private final IntervalFunction backoff;
    private final long progressEveryMillis;

    /** A document that failed, with what OpenSearch said. */
    public record Failure(IndexDoc doc, int status, String errorType, String reason) {
    }

    /** How one bulk response sorted the documents sent. */
    public record Sorted(int indexed, List<Failure> retryable, List<Failure> rejected) {
    }

    public BulkIndexer(OpenSearchClient client, int maxRetries, long initialDelayMs, long maxDelayMs, long progressEveryMillis) {
        this(() -> client, maxRetries, initialDelayMs, maxDelayMs, progressEveryMillis);
    }

    private BulkIndexer(java.util.function.Supplier<OpenSearchClient> clientFactory, int maxRetries, long initialDelayMs,
                        long maxDelayMs, long progressEveryMillis) {
        this.clientFactory = clientFactory;
        this.maxRetries = maxRetries;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(initialDelayMs, 2.0, 0.5, maxDelayMs);
        this.progressEveryMillis = progressEveryMillis;
    }

    /** Settings as the route's bean definition gives them (strings from placeholders). */
    public BulkIndexer(String hosts, boolean tls, String user, String password, int timeoutMs, int inFlight,
                       int maxRetries, long initialDelayMs, long maxDelayMs, long progressEveryMillis) {
        // Created at first use: the beans exist even when the pipeline is off, and then need no connection pool.
        this(() -> OpenSearchClients.create(hosts, tls, user, password, timeoutMs, inFlight + 2), maxRetries,
                initialDelayMs, maxDelayMs, progressEveryMillis);
    }

    /** Camel entry point: the body is this batch's documents; the object's job is on the exchange. */
    public void index(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<IndexDoc> docs = exchange.getMessage().getBody(List.class);
        ObjectJob job = exchange.getProperty(ObjectJob.PROPERTY, ObjectJob.class);
        index(docs, job);
        exchange.getMessage().setBody(null); // the batch is done: do not keep it alive in the split's result
    }

    public void index(List<IndexDoc> docs, ObjectJob job) {
        List<IndexDoc> pending = docs;
        for (int attempt = 1; !pending.isEmpty(); attempt++) {
            Sorted sorted;
            try {
                sorted = sort(pending, send(pending).items());
            } catch (OpenSearchException e) {
                if (!BulkItemClassifier.retryableStatus(e.status())) {
                    throw new IllegalStateException("OpenSearch refused a bulk request for " + job.bucket() + '/'
                            + job.key() + " with status " + e.status() + ": " + BulkItemClassifier.reason(e.error()), e);
                }
                sorted = allRetryable(pending, e.status(), e.error() == null ? "http_" + e.status() : e.error().type(),
                        BulkItemClassifier.reason(e.error()));
            } catch (IOException e) {
                if (closed) {
                    // Ferry is stopping: the object fails and is read again after restart, nothing is dead-lettered.
                    throw new IllegalStateException("Ferry is stopping; " + job.bucket() + '/' + job.key()
                            + " is left to be processed again", e);
                }
                sorted = allRetryable(pending, 0, "request_failed", e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            job.run().written(sorted.indexed());
            for (Failure f : sorted.rejected()) {
                job.deadLetters().rejected(f.doc(), f.status(), f.errorType(), f.reason());
            }
            job.run().deadLettered(sorted.rejected().size());
            List<Failure> retryable = sorted.retryable();
            if (retryable.isEmpty()) {
                break;
            }
            if (attempt > maxRetries) {
                for (Failure f : retryable) {
                    job.deadLetters().rejected(f.doc(), f.status(), f.errorType(),
                            "retries exhausted after " + attempt + " attempts: " + f.reason());
                }
                job.run().deadLettered(retryable.size());
                LOG.warn("{} document(s) of {}/{} dead-lettered after {} attempts: {}", retryable.size(), job.bucket(),
                        job.key(), attempt, retryable.get(0).reason());
                break;
            }
            if (closed) {
                throw new IllegalStateException("Ferry is stopping; " + job.bucket() + '/' + job.key()
                        + " is left to be processed again");
            }
            job.run().retried(retryable.size());
            long delay = backoff.apply(attempt);
            LOG.debug("retrying {} document(s) of {}/{} in {} ms (attempt {}): {}", retryable.size(), job.bucket(),
                    job.key(), delay, attempt + 1, retryable.get(0).reason());
            sleep(delay);
            pending = retryable.stream().map(Failure::doc).toList();
        }
        if (job.progressDue(progressEveryMillis)) {
            LOG.info("progress pipeline={} subject={} read={} written={} dead_lettered={} retried={} mb_read={}",
                    job.run().pipeline(), job.run().subject(), job.run().read(), job.run().written(),
                    job.run().deadLettered(), job.run().retried(), job.lines().bytesRead() / (1024 * 1024));
        }
    }

    private BulkResponse send(List<IndexDoc> docs) throws IOException {
        List<BulkOperation> ops = new ArrayList<>(docs.size());
        for (IndexDoc doc : docs) {
            // The source goes out as the raw JSON that was read: Jackson writes a RawValue verbatim.
            IndexOperation<Object> op = IndexOperation.of(b -> b.index(doc.index()).id(doc.id()).routing(doc.routing())
                    .document(new com.fasterxml.jackson.databind.util.RawValue(doc.source())));
            ops.add(BulkOperation.of(b -> b.index(op)));
        }
        return client().bulk(BulkRequest.of(b -> b.operations(ops)));
    }

    /** Sorts a bulk response's items (in request order) against the documents sent. */
    public static Sorted sort(List<IndexDoc> sent, List<BulkResponseItem> items) {
        if (items.size() != sent.size()) {
            throw new IllegalStateException("bulk response has " + items.size() + " items for " + sent.size() + " documents");
        }
        int indexed = 0;
        List<Failure> retryable = new ArrayList<>();
        List<Failure> rejected = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            BulkResponseItem item = items.get(i);
            String type = item.error() == null ? null : item.error().type();
            switch (BulkItemClassifier.classify(item.status(), type)) {
                case INDEXED -> indexed++;
                case RETRYABLE -> retryable.add(new Failure(sent.get(i), item.status(), type, BulkItemClassifier.reason(item.error())));
                case REJECTED -> rejected.add(new Failure(sent.get(i), item.status(), type == null ? "http_" + item.status() : type,
                        BulkItemClassifier.reason(item.error())));
            }
        }
        return new Sorted(indexed, retryable, rejected);
    }

    private static Sorted allRetryable(List<IndexDoc> docs, int status, String type, String reason) {
        return new Sorted(0, docs.stream().map(d -> new Failure(d, status, type, reason)).toList(), List.of());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry a bulk request", e);
        }
    }

    private OpenSearchClient client() {
        if (closed) {
            throw new IllegalStateException("Ferry is stopping: no new bulk requests");
        }
        OpenSearchClient c = client;
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
            client._transport().close();
            client = null;
        }
    }

}
