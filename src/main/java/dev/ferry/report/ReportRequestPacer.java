package dev.ferry.report;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.spi.OnCamelContextStarting;
import org.apache.camel.spi.OnCamelContextStopping;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;

/**
 * Decides when the next request to the report server may start, retries included, and remembers how the last ones
 * ended. Its owners lock the account or suffer an outage when it is asked too often, so a request waits for the
 * latest of:
 * <ul>
 *   <li>{@code min-request-interval-ms} after the previous request started;</li>
 *   <li>the Retry-After of a 429 or 503 (seconds or an HTTP date), at most {@code retry-after-max-ms};</li>
 *   <li>after a read timeout, {@code max-render-ms} after the timed-out request started: the server does not stop
 *       rendering when the client gives up, and a retry sent sooner would have it render the report twice at once.</li>
 * </ul>
 * Used by the call route: {@link #awaitNextRequest(Exchange)}, then {@link #requestStarting()}, then
 * {@link #requestAnswered()} or {@link #requestFailed(Exchange)}. Requests are never concurrent: one trigger thread,
 * one window at a time.
 * <p>
 * The wait ends as soon as Camel begins to stop ({@link ReportStoppingException}): it can last minutes, inside the
 * circuit breaker, and a graceful stop would otherwise wait it out until the shutdown timeout forced the routes down
 * under it (the breaker, stopped first, then failed the wait's continuation with a NullPointerException).
 */
public final class ReportRequestPacer implements OnCamelContextStopping, OnCamelContextStarting {

    /** The longest stretch the wait goes without looking at Camel's state itself (the stop also wakes it at once). */
    private static final long CHECK_EVERY_MS = 1000;

    private final long minIntervalMs;
    private final long maxRenderMs;
    private final long retryAfterMaxMs;
    private final long readTimeoutMs;
    private final String server;

    private long lastRequestAt = Long.MIN_VALUE / 2;
    private long notBefore = Long.MIN_VALUE / 2;
    private int failuresSinceSuccess;
    private String lastFailure;
    private boolean stopping;
    private boolean waiting;
    private Runnable onThrottled = () -> { };

    /**
     * @param baseUrl the report server's URL, for the host:port messages name
     */
    public ReportRequestPacer(long minIntervalMs, long maxRenderMs, long retryAfterMaxMs, long readTimeoutMs, String baseUrl) {
        this.minIntervalMs = minIntervalMs;
        this.maxRenderMs = maxRenderMs;
        this.retryAfterMaxMs = retryAfterMaxMs;
        this.readTimeoutMs = readTimeoutMs;
        this.server = hostAndPort(baseUrl);
    }

    /** Called for each 429 the report server answers ({@code ferry_throttled_total}). */
    public synchronized void onThrottled(Runnable count) {
        this.onThrottled = count;
    }

    public synchronized long millisUntilNextRequest() {
        return Math.max(0, Math.max(lastRequestAt + minIntervalMs, notBefore) - System.currentTimeMillis());
    }

    /**
     * Waits for the next request's turn ({@link #millisUntilNextRequest()}), or throws {@link ReportStoppingException}
     * once Camel is stopping, at once: while Camel stops no new request starts (it could run for the whole read timeout).
     */
    public synchronized void awaitNextRequest(Exchange exchange) {
        CamelContext context = exchange.getContext();
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        waiting = true;
        try {
            long wait = millisUntilNextRequest();
            while (true) {
                if (stopping || context.isStopping() || context.isStopped()) {
                    throw stopping(wait);
                }
                ReportStoppingException.throwIfStopped(run, "the request to the report server " + server + " was not sent");
                if (wait <= 0) {
                    return;
                }
                // wait() lets go of the lock: requestFailed and failureHistory stay callable meanwhile
                wait(Math.min(wait, CHECK_EVERY_MS));
                wait = millisUntilNextRequest();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw stopping(millisUntilNextRequest());
        } finally {
            waiting = false;
        }
    }

    /** A waiting request checks again now whether its run was asked to stop. */
    synchronized void wakeUp() {
        notifyAll();
    }

    /** True while a request waits in {@link #awaitNextRequest(Exchange)}. */
    public synchronized boolean waiting() {
        return waiting;
    }

    /** Camel begins to stop (before it waits for in-flight exchanges): a waiting request gives up now. */
    @Override
    public synchronized void onContextStopping(CamelContext context) {
        stopping = true;
        notifyAll();
    }

    @Override
    public synchronized void onContextStarting(CamelContext context) {
        stopping = false;
    }

    private ReportStoppingException stopping(long millisLeft) {
        return new ReportStoppingException("Ferry is stopping: the request to the report server " + server
                + " was not sent" + (millisLeft > 0 ? " (it had " + millisLeft + " ms left to wait for its turn)" : "")
                + "; the window is loaded again at the next start");
    }

    public synchronized void requestStarting() {
        lastRequestAt = System.currentTimeMillis();
    }

    /** The report arrived whole (spooled). */
    public synchronized void requestAnswered() {
        failuresSinceSuccess = 0;
        lastFailure = null;
    }

    /**
     * In the call route's doCatch: notes how the request ended (Retry-After, a render that may still run, the last
     * failure for the circuit breaker's message) and throws again, a transport failure as a
     * {@link ReportRequestException} naming the host and what happened.
     */
    public void requestFailed(Exchange exchange) throws Exception {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (caught == null) {
            caught = exchange.getException();
        }
        throw classify(caught);
    }

    synchronized Exception classify(Exception caught) {
        if (caught == null || caught instanceof ReportSpoolException || caught instanceof ReportStoppingException) {
            return caught; // the report server did its part; the local disk, or this replica's lead, did not
        }
        HttpOperationFailedException http = find(caught, HttpOperationFailedException.class);
        if (http != null) {
            long now = System.currentTimeMillis();
            String statusText = http.getStatusText() == null ? "" : " " + http.getStatusText();
            String wait = "";
            if (http.getStatusCode() == 429) {
                onThrottled.run();
            }
            if (http.getStatusCode() == 429 || http.getStatusCode() == 503) {
                long asked = retryAfterMillis(header(http.getResponseHeaders(), "Retry-After"), now);
                if (asked > 0) {
                    long waited = Math.min(asked, retryAfterMaxMs);
                    notBefore = Math.max(notBefore, now + waited);
                    wait = " (Retry-After " + asked + " ms" + (waited < asked ? ", waiting retry-after-max-ms = " + waited + " ms" : "") + ")";
                }
            }
            failed("HTTP " + http.getStatusCode() + statusText + " from " + withoutQuery(http.getUri()) + wait);
            return caught;
        }
        if (caught instanceof ReportContentException) {
            failed(caught.getMessage());
            return caught;
        }
        SocketTimeoutException timeout = find(caught, SocketTimeoutException.class);
        if (timeout != null && !timeout.getClass().getSimpleName().contains("Connect")) {
            // the server may still be rendering: the next request waits until a render must have ended
            notBefore = Math.max(notBefore, lastRequestAt + maxRenderMs);
            return failed(new ReportRequestException("no response from the report server " + server + " within"
                    + " read-timeout-ms = " + readTimeoutMs + " ms (" + ReportRunRecorder.message(timeout) + "); it may"
                    + " still be rendering, so the next request waits until max-render-ms = " + maxRenderMs
                    + " ms after this one started", caught));
        }
        Throwable root = rootCause(caught);
        String what = root instanceof ConnectException || root instanceof UnknownHostException
                || (timeout != null) ? "could not connect to" : "lost the connection to";
        return failed(new ReportRequestException(what + " the report server " + server + ": "
                + ReportRunRecorder.describe(caught), caught));
    }

    /** How many requests failed since the last one that succeeded, and how the last one failed (null: none). */
    public synchronized String failureHistory() {
        return lastFailure == null ? null
                : failuresSinceSuccess + " failed request" + (failuresSinceSuccess == 1 ? "" : "s")
                  + " to " + server + " since the last success; last: " + lastFailure;
    }

    public String server() {
        return server;
    }

    private ReportRequestException failed(ReportRequestException e) {
        failed(e.getMessage());
        return e;
    }

    private void failed(String description) {
        failuresSinceSuccess++;
        lastFailure = description;
    }

    /** Retry-After as milliseconds from {@code nowMillis}: delta-seconds or an HTTP date; 0 when absent or unreadable. */
    static long retryAfterMillis(String value, long nowMillis) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.trim();
        try {
            return Math.max(0, Math.multiplyExact(Long.parseLong(v), 1000L));
        } catch (NumberFormatException | ArithmeticException e) {
            // not seconds: an HTTP date
        }
        try {
            return Math.max(0, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - nowMillis);
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static String header(Map<String, String> headers, String name) {
        if (headers == null) {
            return null;
        }
        for (Map.Entry<String, String> h : headers.entrySet()) {
            if (h.getKey() != null && h.getKey().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
                return h.getValue();
            }
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (int i = 0; t != null && i < 10; i++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable rootCause(Throwable t) {
        for (int i = 0; t.getCause() != null && t.getCause() != t && i < 10; i++) {
            t = t.getCause();
        }
        return t;
    }

    private static String withoutQuery(String uri) {
        if (uri == null) {
            return "the report server";
        }
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    static String hostAndPort(String baseUrl) {
        try {
            URI uri = URI.create(baseUrl.trim());
            int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
            return uri.getHost() + ":" + port;
        } catch (RuntimeException e) {
            return baseUrl;
        }
    }
}
