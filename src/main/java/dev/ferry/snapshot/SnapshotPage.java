package dev.ferry.snapshot;

import dev.ferry.opensearch.IndexDoc;
import dev.ferry.records.RecordBatch;

import java.util.List;

/**
 * One page of a slice of a {@link Snapshot}: a batch of documents ({@link IndexDoc}: id, routing, the index only with
 * {@code keepIndex}, {@code _source} exactly as stored), the body of one exchange of the inner split. A step may drop
 * records ({@code ferry-records:drop}: counted filtered) or dead-letter them (sent to the endpoint's
 * {@code deadLetterUri}, then counted; without one the page fails); the rest go on, e.g. to {@code ferry-bulk:}.
 * Counts go into the run the exchange that read the snapshot carried ({@code ferryRun}), if any.
 */
public final class SnapshotPage implements RecordBatch<IndexDoc> {

    private final Snapshot snapshot;
    private final int slice;
    private final int page;
    private final List<IndexDoc> records;
    private long filtered;
    private long deadLettered;

    SnapshotPage(Snapshot snapshot, int slice, int page, List<IndexDoc> records) {
        this.snapshot = snapshot;
        this.slice = slice;
        this.page = page;
        this.records = records;
    }

    @Override
    public List<IndexDoc> records() {
        return records;
    }

    @Override
    public void filtered(IndexDoc record) {
        filtered++;
        if (snapshot.run != null) {
            snapshot.run.filtered(1);
        }
    }

    @Override
    public void deadLetter(IndexDoc record, String reason) {
        snapshot.deadLetters.accept(this, new Snapshot.DeadLetter(record, reason));
        deadLettered++;
        if (snapshot.run != null) {
            snapshot.run.deadLettered(1);
        }
    }

    /** The index (alias, pattern) the snapshot reads. */
    public String index() {
        return snapshot.index();
    }

    /** The slice this page belongs to, from 0. */
    public int slice() {
        return slice;
    }

    /** The page's number within its slice, from 1. */
    public int page() {
        return page;
    }

    /** Records of this page dropped on purpose so far. */
    public long filtered() {
        return filtered;
    }

    /** Records of this page sent to the dead letters so far. */
    public long deadLettered() {
        return deadLettered;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    @Override
    public String toString() {
        return "SnapshotPage[" + snapshot.index() + " slice " + slice + " page " + page + ", " + records.size() + " record(s)]";
    }
}
