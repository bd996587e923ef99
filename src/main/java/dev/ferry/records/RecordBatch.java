package dev.ferry.records;

import java.util.List;

/**
 * The body of one exchange in a pipeline's transform stage: a batch of records, not one record, so the stage keeps
 * the pipeline's throughput. Steps may change records in place and remove them from {@link #records()}; a record
 * removed without being {@link #filtered filtered} or {@link #deadLetter dead-lettered} is unaccounted for, and
 * fails its run.
 */
public interface RecordBatch<R extends Record> {

    /** The live list of records still to be written, in source order. */
    List<R> records();

    /** Counts a record removed on purpose (a drop condition) as filtered in its run. */
    void filtered(R record);

    /** Sends a record to the pipeline's dead letters with the reason, and counts it. */
    void deadLetter(R record, String reason);

    default int size() {
        return records().size();
    }

    default boolean isEmpty() {
        return records().isEmpty();
    }
}
