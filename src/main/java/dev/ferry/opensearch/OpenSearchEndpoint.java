package dev.ferry.opensearch;

import org.apache.camel.Component;
import org.apache.camel.spi.UriParam;
import org.apache.camel.support.DefaultEndpoint;

/**
 * The options Ferry's OpenSearch endpoints ({@code ferry-bulk}, {@code ferry-snapshot}) share: how long a request may
 * take and how retries after a failure about the cluster back off (exponential, doubling, with jitter).
 */
public abstract class OpenSearchEndpoint extends DefaultEndpoint {

    @UriParam(defaultValue = "200", description = "First backoff before a retry, in ms (exponential, with jitter)")
    private long retryInitialDelayMs = 200;
    @UriParam(defaultValue = "10000", description = "Longest backoff between retries, in ms")
    private long retryMaxDelayMs = 10_000;
    @UriParam(defaultValue = "60000", description = "How long one request (and waiting for a pooled connection) may take, in ms")
    private int requestTimeoutMs = 60_000;

    protected OpenSearchEndpoint(String uri, Component component) {
        super(uri, component);
    }

    /** The backoff for {@code maxRetries} retries with this endpoint's delays. */
    public Backoff backoff(int maxRetries) {
        return new Backoff(maxRetries, retryInitialDelayMs, retryMaxDelayMs, 2.0);
    }

    public long getRetryInitialDelayMs() { return retryInitialDelayMs; }
    public void setRetryInitialDelayMs(long retryInitialDelayMs) { this.retryInitialDelayMs = retryInitialDelayMs; }
    public long getRetryMaxDelayMs() { return retryMaxDelayMs; }
    public void setRetryMaxDelayMs(long retryMaxDelayMs) { this.retryMaxDelayMs = retryMaxDelayMs; }
    public int getRequestTimeoutMs() { return requestTimeoutMs; }
    public void setRequestTimeoutMs(int requestTimeoutMs) { this.requestTimeoutMs = requestTimeoutMs; }
}
