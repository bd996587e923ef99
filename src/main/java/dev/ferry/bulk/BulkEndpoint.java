package dev.ferry.bulk;

import dev.ferry.opensearch.OpenSearchClients;
import dev.ferry.opensearch.OpenSearchConnection;
import dev.ferry.opensearch.OpenSearchEndpoint;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;

/**
 * Sends the documents in the body as one {@code _bulk} request per call and settles every one: indexed, refused by
 * OpenSearch one by one (dead-lettered, or reported in headers), or, when the failure is about the cluster (I/O
 * error, 429/5xx, cluster block), retried with backoff until {@code maxItemRetries} is spent, then the exchange
 * fails. One HTTP client per endpoint, created at the first request and closed when the endpoint stops.
 */
@UriEndpoint(scheme = "ferry-bulk", title = "Ferry bulk", syntax = "ferry-bulk:index", producerOnly = true,
        category = {Category.SEARCH, Category.DATABASE})
public final class BulkEndpoint extends OpenSearchEndpoint {

    @UriPath(description = "The index of documents that do not name one (standalone documents, a batch's documents without a target)")
    @Metadata(required = true)
    private final String index;
    @UriParam(defaultValue = "8", description = "How many times documents failing for a reason about the cluster are resent before the exchange fails")
    private int maxItemRetries = 8;
    @UriParam(defaultValue = "2", description = "Bulk requests the route sends at once (its pool size); the client keeps inFlight + 2 connections")
    private int inFlight = 2;
    @UriParam(defaultValue = "30", description = "Seconds between progress lines of a long source (pipelines only)")
    private long progressEverySeconds = 30;

    private volatile BulkIndexer indexer;

    BulkEndpoint(String uri, BulkComponent component, String index) {
        super(uri, component);
        this.index = index;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        OpenSearchConnection connection = ((BulkComponent) getComponent()).connection();
        int timeout = getRequestTimeoutMs();
        int connections = inFlight + 2;
        // the client is created at the first request: a pipeline that is off never connects
        indexer = new BulkIndexer(() -> OpenSearchClients.restClient(connection, timeout, connections), maxItemRetries,
                getRetryInitialDelayMs(), getRetryMaxDelayMs(), 1000L * progressEverySeconds);
    }

    @Override
    protected void doStop() throws Exception {
        BulkIndexer i = indexer;
        if (i != null) {
            i.close(); // a retry still waiting sees it and fails its exchange: the source is read again later
        }
        super.doStop();
    }

    BulkIndexer indexer() {
        BulkIndexer i = indexer;
        if (i == null) {
            throw new IllegalStateException("ferry-bulk:" + index + " is not started");
        }
        return i;
    }

    String index() {
        return index;
    }

    @Override
    public Producer createProducer() {
        return new BulkProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("ferry-bulk is a sink (to:), not a consumer (from:)");
    }

    public int getMaxItemRetries() { return maxItemRetries; }
    public void setMaxItemRetries(int maxItemRetries) { this.maxItemRetries = maxItemRetries; }
    public int getInFlight() { return inFlight; }
    public void setInFlight(int inFlight) { this.inFlight = inFlight; }
    public long getProgressEverySeconds() { return progressEverySeconds; }
    public void setProgressEverySeconds(long progressEverySeconds) { this.progressEverySeconds = progressEverySeconds; }
}
