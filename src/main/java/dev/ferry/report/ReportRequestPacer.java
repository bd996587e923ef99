package dev.ferry.report;

/**
 * Keeps a minimum interval between the starts of two requests to the report server, retries included: its owners
 * lock the account or suffer an outage when it is asked too often. Used by the route as a Camel {@code delay}
 * (how long to wait) followed by {@link #requestStarting()}. Requests are never concurrent: one trigger thread, one
 * window at a time.
 */
public final class ReportRequestPacer {

    private final long minIntervalMs;
    private long lastRequestAt = Long.MIN_VALUE / 2;

    public ReportRequestPacer(long minIntervalMs) {
        this.minIntervalMs = minIntervalMs;
    }

    public synchronized long millisUntilNextRequest() {
        return Math.max(0, lastRequestAt + minIntervalMs - System.currentTimeMillis());
    }

    public synchronized void requestStarting() {
        lastRequestAt = System.currentTimeMillis();
    }
}
