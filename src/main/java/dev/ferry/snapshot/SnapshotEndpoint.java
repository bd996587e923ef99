package dev.ferry.snapshot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.opensearch.OpenSearchEndpoint;
import dev.ferry.opensearch.IndexDoc;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Opens a point in time on the index, counts it, and replaces the body with a {@link Snapshot}: its slices, each a
 * lazy iterator of pages ({@link SnapshotPage}, a batch of documents with {@code _source} as stored), read with
 * {@code search_after} one page at a time. A page that fails in a way that may pass is fetched again with backoff;
 * then the slice's iterator throws, so the split over it, and the route, fail. A slice hands out exactly what the
 * point in time counts for it, or fails. One HTTP client per endpoint, made when the endpoint starts (it
 * connects at the first request).
 */
@UriEndpoint(scheme = "ferry-snapshot", title = "Ferry snapshot", syntax = "ferry-snapshot:index", producerOnly = true,
        category = {Category.SEARCH}, headersClass = SnapshotProducer.class)
public final class SnapshotEndpoint extends OpenSearchEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    @UriPath(description = "The index, alias or pattern to read")
    @Metadata(required = true)
    private final String index;
    @UriParam(defaultValue = "1", description = "Slices to read in parallel (split over the body with parallelProcessing);"
            + " sort=auto may choose fewer (one per shard of a single index) or, on OpenSearch 2.x, exactly one per shard")
    private int slices = 1;
    @UriParam(defaultValue = "1000", description = "Documents per page: a page is one search request and one exchange of the inner split")
    private int pageSize = 1000;
    @UriParam(description = "An OpenSearch query (JSON, the value of \"query\"), e.g. {\"term\":{\"status\":\"active\"}}; default: every document")
    private String query;
    @UriParam(defaultValue = "5m", description = "How long the point in time lives between two pages (OpenSearch time unit); a page that takes longer loses it")
    private String keepAlive = "5m";
    @UriParam(defaultValue = "auto", description = "The search_after order: auto (_shard_doc on OpenSearch 3.x, _doc per shard on 2.x, _id for"
            + " several indices on 2.x), _shard_doc, _doc, _id, or a field whose values are unique")
    private String sort = "auto";
    @UriParam(defaultValue = "false", description = "Documents keep the index they were read from (copying to another cluster under the"
            + " same names); by default they have none, so the sink's index applies (ferry-bulk:<index>)")
    private boolean keepIndex;
    @UriParam(description = "Where records a step dead-letters go, one exchange each (e.g. direct:my-dead-letters): a JSON line"
            + " {\"source\":{\"index\",\"slice\"},\"error\":{\"type\":\"transform\",\"reason\"},\"document\":{\"_id\",\"_routing\",\"_source\"}}."
            + " Without it a dead-lettered record fails the page: it is never dropped silently")
    private String deadLetterUri;
    @UriParam(defaultValue = "8", description = "How many times a page that failed in a way that may pass (connection, timeout, 429, 5xx) is fetched again before the slice fails")
    private int maxPageRetries = 8;

    private volatile SnapshotReader reader;
    private volatile ProducerTemplate deadLetterTemplate;

    SnapshotEndpoint(String uri, SnapshotComponent component, String index) {
        super(uri, component);
        this.index = index;
    }

    /** Bad options fail the route's start, naming the endpoint, not its first run. */
    void validate() {
        String where = "ferry-snapshot:" + index + ": ";
        if (slices < 1 || pageSize < 1 || maxPageRetries < 0 || getRetryInitialDelayMs() < 1
                || getRetryMaxDelayMs() < getRetryInitialDelayMs() || getRequestTimeoutMs() < 1) {
            throw new IllegalArgumentException(where + "slices, pageSize, retryInitialDelayMs and requestTimeoutMs must be at"
                    + " least 1, maxPageRetries at least 0, retryMaxDelayMs at least retryInitialDelayMs");
        }
        if (query != null && !query.isBlank()) {
            try {
                if (!JSON.readTree(query).isObject()) {
                    throw new IllegalArgumentException(where + "query must be a JSON object, e.g. {\"match_all\":{}}");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(where + "query is not JSON: " + e.getMessage(), e);
            }
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        reader = new SnapshotReader(((SnapshotComponent) getComponent()).connection(), Duration.ofMillis(getRequestTimeoutMs()));
        if (deadLetterUri != null && !deadLetterUri.isBlank()) {
            deadLetterTemplate = getCamelContext().createProducerTemplate();
        }
    }

    @Override
    protected void doStop() throws Exception {
        ProducerTemplate t = deadLetterTemplate;
        if (t != null) {
            t.stop();
        }
        super.doStop();
    }

    /** Sends a dead letter to deadLetterUri; fails when there is none or it fails (the record is then not counted). */
    void deadLetter(SnapshotPage page, Snapshot.DeadLetter letter) {
        IndexDoc doc = letter.record();
        ProducerTemplate t = deadLetterTemplate;
        if (t == null) {
            throw new IllegalStateException("ferry-snapshot:" + index + " has no deadLetterUri: document " + doc.id()
                    + " of slice " + page.slice() + " cannot be dead-lettered (" + letter.reason() + ")");
        }
        ObjectNode line = JSON.createObjectNode();
        line.putObject("source").put("index", index).put("slice", page.slice());
        line.putObject("error").put("type", "transform").put("reason", letter.reason());
        ObjectNode document = line.putObject("document");
        if (doc.index() != null) {
            document.put("_index", doc.index());
        }
        document.put("_id", doc.id());
        if (doc.routing() != null) {
            document.put("_routing", doc.routing());
        }
        try {
            document.set("_source", JSON.readTree(doc.sourceAsRead()));
            t.sendBody(deadLetterUri, JSON.writeValueAsString(line));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    SnapshotReader reader() {
        SnapshotReader r = reader;
        if (r == null) {
            throw new IllegalStateException("ferry-snapshot:" + index + " is not started");
        }
        return r;
    }

    String index() {
        return index;
    }

    @Override
    public Producer createProducer() {
        return new SnapshotProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("ferry-snapshot is called with to: (from a timer, a schedule or a request),"
                + " not used as from:");
    }

    public int getSlices() { return slices; }
    public void setSlices(int slices) { this.slices = slices; }
    public int getPageSize() { return pageSize; }
    public void setPageSize(int pageSize) { this.pageSize = pageSize; }
    public String getQuery() { return query; }
    public void setQuery(String query) { this.query = query; }
    public String getKeepAlive() { return keepAlive; }
    public void setKeepAlive(String keepAlive) { this.keepAlive = keepAlive; }
    public String getSort() { return sort; }
    public void setSort(String sort) { this.sort = sort; }
    public boolean isKeepIndex() { return keepIndex; }
    public void setKeepIndex(boolean keepIndex) { this.keepIndex = keepIndex; }
    public String getDeadLetterUri() { return deadLetterUri; }
    public void setDeadLetterUri(String deadLetterUri) { this.deadLetterUri = deadLetterUri; }
    public int getMaxPageRetries() { return maxPageRetries; }
    public void setMaxPageRetries(int maxPageRetries) { this.maxPageRetries = maxPageRetries; }
}
