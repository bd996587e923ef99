package dev.ferry.accounting;

import java.time.Instant;

/**
 * The event of one finished run (succeeded or failed), sent to {@code direct:ferry-run-finished} once the run's outcome
 * is final: an immutable copy of its ledger. JavaBean getters, so routes read it with the plain simple forms
 * ({@code ${body.deadLettered} > 0}, {@code ${body.pipeline}}, {@code ${body.status} == 'FAILED'}) and
 * {@code marshal: json: {}} turns it into a JSON object whose keys are the same names
 * ({@code {"pipeline":"s3-to-opensearch","deadLettered":1,...}}). Times are ISO-8601 strings, so any JSON mapper
 * writes them without a time module.
 */
public final class RunFinished {

    private final String pipeline;
    private final String runId;
    private final String subject;
    private final String status;
    private final long read;
    private final long written;
    private final long duplicate;
    private final long filtered;
    private final long deadLettered;
    private final long retried;
    private final long unaccounted;
    private final String failure;
    private final String unreadable;
    private final Instant started;
    private final Instant ended;
    private final String summary;

    private RunFinished(RunAccount run) {
        pipeline = run.pipeline();
        runId = run.runId();
        subject = run.subject();
        status = run.status().name();
        read = run.read();
        written = run.written();
        duplicate = run.duplicate();
        filtered = run.filtered();
        deadLettered = run.deadLettered();
        retried = run.retried();
        unaccounted = run.unaccounted();
        failure = run.failure();
        unreadable = run.unreadable();
        started = run.started();
        ended = run.started().plus(run.elapsed());
        summary = run.summary();
    }

    /** A copy of a closed run's ledger (counts as they stood when it was closed). */
    static RunFinished of(RunAccount run) {
        return new RunFinished(run);
    }

    public String getPipeline() { return pipeline; }
    public String getRunId() { return runId; }
    /** What the run worked on: the S3 object, the report window, the index dumped. */
    public String getSubject() { return subject; }
    /** {@code SUCCEEDED} or {@code FAILED}. */
    public String getStatus() { return status; }
    public boolean isSucceeded() { return "SUCCEEDED".equals(status); }
    public long getRead() { return read; }
    public long getWritten() { return written; }
    public long getDuplicate() { return duplicate; }
    /** Records a route's transform dropped on purpose. */
    public long getFiltered() { return filtered; }
    public long getDeadLettered() { return deadLettered; }
    public long getRetried() { return retried; }
    /** Records read but not written, duplicate, filtered or dead-lettered: 0 unless the run failed, unbalanced or cut short. */
    public long getUnaccounted() { return unaccounted; }
    /** Why the run failed, or null. */
    public String getFailure() { return failure; }
    /** Why and how much of the source could not be read, or null. */
    public String getUnreadable() { return unreadable; }
    public String getStarted() { return started.toString(); }
    public String getEnded() { return ended.toString(); }
    public double getSeconds() { return (ended.toEpochMilli() - started.toEpochMilli()) / 1000.0; }
    /** The run summary line, as logged. */
    public String getSummary() { return summary; }

    @Override
    public String toString() {
        return summary;
    }
}
