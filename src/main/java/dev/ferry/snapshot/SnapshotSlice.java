package dev.ferry.snapshot;

import dev.ferry.opensearch.IndexDoc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One slice of a {@link Snapshot}: a lazy iterator of pages, each read from OpenSearch when the split takes it. It
 * hands out exactly what the point in time counts for the slice: a search that runs out before that fails the slice.
 * A page that fails in a way that may pass is fetched again (from after the last hit handed out) with the endpoint's
 * backoff; when that is spent, or the failure cannot pass (the point in time gone, a bad query), the iterator throws:
 * iteration never just ends with documents missing. Closing it (the split does, also on failure) drops the page's
 * connection.
 */
public final class SnapshotSlice implements Iterator<SnapshotPage>, Closeable {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSlice.class);

    private final Snapshot snapshot;
    private final int slice;
    private HitCursor cursor;
    private boolean ended;
    private long expected = -1; // what the point in time counts for this slice
    private long read;
    private int pages;

    SnapshotSlice(Snapshot snapshot, int slice) {
        this.snapshot = snapshot;
        this.slice = slice;
    }

    /**
     * True while the slice has not handed out what its point in time counts for it. Answered from that count (asked
     * once, at the first call), not by reading ahead: Camel's split asks before it processes the page it has, and a
     * page read ahead would be a second one in memory.
     */
    @Override
    public boolean hasNext() {
        if (ended) {
            return false;
        }
        try {
            if (expected < 0) {
                expected = snapshot.reader.count(snapshot.pitId(), snapshot.keepAlive, snapshot.query, slice,
                        snapshot.plan().slices());
                if (expected < 0) {
                    throw new IllegalStateException("ferry-snapshot:" + snapshot.index() + " slice " + slice
                            + ": " + SnapshotReader.POINT_IN_TIME_GONE);
                }
            }
            if (read < expected) {
                return true;
            }
            ended = true;
            close();
            snapshot.sliceEnded();
            return false;
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    @Override
    public SnapshotPage next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        try {
            return readPage();
        } catch (RuntimeException e) {
            throw failed(e);
        }
    }

    /** Thrown once, to the split; the split's clean-up asking again is told the slice is over. */
    private RuntimeException failed(RuntimeException e) {
        snapshot.fail(slice, e);
        ended = true;
        close();
        return e;
    }

    private SnapshotPage readPage() {
        if (snapshot.failure() != null) {
            throw new IllegalStateException("ferry-snapshot:" + snapshot.index() + " failed (" + snapshot.failure()
                    + "); slice " + slice + " stops reading");
        }
        if (cursor == null) {
            cursor = snapshot.reader.cursor(snapshot.pitId(), snapshot.keepAlive, snapshot.query, snapshot.plan().sort(),
                    slice, snapshot.plan().slices(), null, snapshot.pageSize, this::awaitRetry);
        }
        List<IndexDoc> docs = new ArrayList<>(snapshot.pageSize);
        while (docs.size() < snapshot.pageSize && read + docs.size() < expected && cursor.next()) {
            docs.add(cursor.takeDoc(read + docs.size() + 1, snapshot.keepIndex));
        }
        snapshot.pitIdNow(cursor.pitId());
        if (docs.size() < snapshot.pageSize && read + docs.size() < expected) {
            // the search ran out before the count: documents would be missing. A point in time released while a
            // page was being searched can answer with fewer hits than asked instead of 404: say so when it is gone.
            throw new IllegalStateException("ferry-snapshot:" + snapshot.index() + " slice " + slice + " ended after "
                    + (read + docs.size()) + " documents, but its point in time counts " + expected
                    + (pointInTimeGone() ? "; " + SnapshotReader.POINT_IN_TIME_GONE : "")
                    + ": the snapshot is not complete");
        }
        read += docs.size();
        snapshot.pageRead(docs.size());
        return new SnapshotPage(snapshot, slice, ++pages, docs);
    }

    private boolean pointInTimeGone() {
        try {
            return snapshot.reader.count(cursor.pitId(), snapshot.keepAlive, snapshot.query, slice, snapshot.plan().slices()) < 0;
        } catch (RuntimeException e) {
            return false; // unknown: the message says what is known
        }
    }

    private boolean awaitRetry(int retry, SnapshotReader.OpenSearchReadException failure) {
        if (snapshot.failure() != null || retry > snapshot.backoff.maxRetries()) {
            return false;
        }
        long delay = snapshot.backoff.delayMs(retry);
        LOG.warn("ferry-snapshot:{} slice {}: {}; the page is fetched again in {} ms (retry {} of {})", snapshot.index(),
                slice, failure.getMessage(), delay, retry, snapshot.backoff.maxRetries());
        if (snapshot.run != null) {
            snapshot.run.retried(1);
            if (failure.throttled()) {
                snapshot.run.throttled(1);
            }
        }
        try {
            return !snapshot.failsWithin(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** This slice's number, from 0. */
    public int slice() {
        return slice;
    }

    /** Documents this slice has handed out so far. */
    public long read() {
        return read;
    }

    @Override
    public void close() {
        if (cursor != null) {
            cursor.close();
        }
    }

    @Override
    public String toString() {
        return "SnapshotSlice[" + snapshot.index() + " slice " + slice + " of " + snapshot.plan().slices() + ", read " + read + "]";
    }
}
