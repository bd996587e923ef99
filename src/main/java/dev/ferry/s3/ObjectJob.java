package dev.ferry.s3;

import dev.ferry.accounting.RunAccount;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Everything Ferry holds while one S3 object goes through s3-to-opensearch: its run in the ledger, its line reader
 * and its dead-letter spool. Kept as an exchange property, so the bulk steps on other threads share it.
 */
public final class ObjectJob {

    public static final String PROPERTY = "ferryS3Object";

    private final String bucket;
    private final String key;
    private final RunAccount run;
    private final NdjsonBatches lines;
    private final DeadLetterSpool deadLetters;
    private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    private volatile String abandoned;
    private final ResumingObjectStream source;

    public ObjectJob(String bucket, String key, RunAccount run, ResumingObjectStream source, NdjsonBatches lines,
                     DeadLetterSpool deadLetters) {
        this.source = source;
        this.bucket = bucket;
        this.key = key;
        this.run = run;
        this.lines = lines;
        this.deadLetters = deadLetters;
    }

    public String bucket() { return bucket; }
    public String key() { return key; }
    public RunAccount run() { return run; }
    public NdjsonBatches lines() { return lines; }
    /** The object's bytes as S3 delivers them (under {@link #lines()}). */
    public ResumingObjectStream source() { return source; }
    public DeadLetterSpool deadLetters() { return deadLetters; }

    /** One batch found the cluster failing: the other batches of the object stop retrying (the run fails anyway). */
    public void abandon(String reason) {
        if (abandoned == null) {
            abandoned = reason;
        }
    }

    /** Why the object was given up, or null. */
    public String abandoned() {
        return abandoned;
    }

    /** True at most once per interval, for the progress line of a long object. */
    public boolean progressDue(long everyMillis) {
        long now = System.nanoTime();
        long last = lastProgress.get();
        return now - last >= everyMillis * 1_000_000L && lastProgress.compareAndSet(last, now);
    }
}
