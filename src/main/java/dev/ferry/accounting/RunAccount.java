package dev.ferry.accounting;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The ledger of one run of one pipeline (one report window, one S3 object, one dump). Every record read must end
 * written, duplicate, filtered (dropped on purpose by a route's transform) or dead-lettered; {@link Runs#finish}
 * refuses to call a run that does not balance a success.
 */
public final class RunAccount {

    public enum Status { RUNNING, SUCCEEDED, FAILED }

    private final String pipeline;
    private final String runId;
    private final String subject;
    private final Instant started = Instant.now();
    private final LongAdder read = new LongAdder();
    private final LongAdder written = new LongAdder();
    private final LongAdder duplicate = new LongAdder();
    private final LongAdder filtered = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final AtomicLong peakUnaccounted = new AtomicLong();
    private final PipelineMetrics metrics;
    private final AtomicReference<Status> status = new AtomicReference<>(Status.RUNNING);
    private volatile Instant ended;
    private volatile String failure;
    private volatile String unreadable;
    private volatile String stopReason;

    RunAccount(String pipeline, String runId, String subject, PipelineMetrics metrics) {
        this.pipeline = pipeline;
        this.runId = runId;
        this.subject = subject;
        this.metrics = metrics;
    }

    public RunAccount read(long n) {
        read.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.READ, n);
        peakUnaccounted.accumulateAndGet(unaccounted(), Math::max);
        return this;
    }

    public RunAccount written(long n) {
        written.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.WRITTEN, n);
        return this;
    }

    public RunAccount duplicate(long n) {
        duplicate.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.DUPLICATE, n);
        return this;
    }

    /** Records a route's transform dropped on purpose (a drop condition): read, and accounted for, but not written. */
    public RunAccount filtered(long n) {
        filtered.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.FILTERED, n);
        return this;
    }

    public RunAccount deadLettered(long n) {
        deadLettered.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.DEAD_LETTERED, n);
        return this;
    }

    public RunAccount retried(long n) {
        retried.add(n);
        metrics.add(pipeline, PipelineMetrics.Count.RETRIED, n);
        return this;
    }

    /** Answers in which the server asked to slow down (429, rejected execution): {@code ferry_throttled_total} only. */
    public RunAccount throttled(long n) {
        metrics.add(pipeline, PipelineMetrics.Count.THROTTLED, n);
        return this;
    }

    /**
     * The source is damaged past some point (not a record: the lines after the damage cannot be counted): counted in
     * {@code ferry_objects_unreadable_total} and {@code ferry_unread_bytes_total}, and said in the summary.
     */
    public RunAccount unreadable(long bytesUnread, String detail) {
        unreadable = detail;
        metrics.add(pipeline, PipelineMetrics.Count.UNREADABLE, 1);
        metrics.add(pipeline, PipelineMetrics.Count.UNREAD_BYTES, bytesUnread);
        return this;
    }

    /** Records not yet accounted for; zero when the run balances. */
    public long unaccounted() {
        return read.sum() - written.sum() - duplicate.sum() - filtered.sum() - deadLettered.sum();
    }

    /**
     * The most records read and not yet accounted for at once during the run (sampled as records are read): what the
     * run held in flight, so what bounded memory means in records. At most about batch size x (writers + 2).
     */
    public long peakUnaccounted() {
        return peakUnaccounted.get();
    }

    boolean end(Status to, String reason) {
        if (status.compareAndSet(Status.RUNNING, to)) {
            ended = Instant.now();
            failure = reason;
            return true;
        }
        return false;
    }

    /**
     * Asks the run to stop at its next check ({@link #stopReason()}), for a reason that is not the run's own fault (the
     * replica stopped leading its pipeline). The run can no longer succeed: {@link Runs#finish} fails it with the
     * reason, whatever it counted by then. The first reason stays.
     */
    public void stop(String reason) {
        if (stopReason == null && status.get() == Status.RUNNING) {
            stopReason = reason;
        }
    }

    /** Why the run was asked to stop, or null. */
    public String stopReason() {
        return stopReason;
    }

    public String pipeline() { return pipeline; }
    public String runId() { return runId; }
    public String subject() { return subject; }
    public Instant started() { return started; }
    public long read() { return read.sum(); }
    public long written() { return written.sum(); }
    public long duplicate() { return duplicate.sum(); }
    public long filtered() { return filtered.sum(); }
    public long deadLettered() { return deadLettered.sum(); }
    public long retried() { return retried.sum(); }
    public Status status() { return status.get(); }
    public String failure() { return failure; }
    /** Why and how much of the source could not be read, or null. */
    public String unreadable() { return unreadable; }

    public Duration elapsed() {
        Instant end = ended;
        return Duration.between(started, end == null ? Instant.now() : end);
    }

    /** One line, the same in the log, in local mode and in tests. */
    public String summary() {
        return String.format("pipeline=%s run=%s subject=%s status=%s read=%d written=%d duplicate=%d filtered=%d dead_lettered=%d"
                        + " retried=%d in_flight_peak=%d seconds=%.1f%s", pipeline, runId, subject, status(), read(), written(),
                duplicate(), filtered(), deadLettered(), retried(), peakUnaccounted(), elapsed().toMillis() / 1000.0, failure == null ? "" : " reason=\"" + failure + '"')
                + (unreadable == null ? "" : " unreadable=\"" + unreadable + '"');
    }

    @Override
    public String toString() {
        return summary();
    }
}
