package dev.ferry.snapshot;

import dev.ferry.accounting.RunAccount;
import dev.ferry.opensearch.Backoff;
import dev.ferry.opensearch.IndexDoc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * The body {@code ferry-snapshot:} sets: a point in time of an index, counted, and its slices ({@link SnapshotSlice},
 * each a lazy iterator of pages). Split it in parallel, then each slice with {@code streaming}. Nothing is read until
 * a slice is iterated; per slice, the page being processed is held, plus at most two pages read from OpenSearch (its
 * own and the next, fetched ahead by {@link HitCursor}). When every slice has ended, each having read what the
 * point in time counts for it, the point in time is released. After the splits the route reads {@link #count()},
 * {@link #read()} and {@link #complete()} here.
 */
public final class Snapshot implements Iterable<SnapshotSlice> {

    private static final Logger LOG = LoggerFactory.getLogger(Snapshot.class);

    final SnapshotReader reader;
    private final String index;
    private volatile String pitId;
    final String keepAlive;
    final String query;
    private final long count;
    private final ReadPlan plan;
    final int pageSize;
    final boolean keepIndex;
    final Backoff backoff;
    final RunAccount run;
    final BiConsumer<SnapshotPage, DeadLetter> deadLetters;
    private final List<SnapshotSlice> slices;
    private final AtomicInteger slicesOpen;
    private final LongAdder read = new LongAdder();
    private final CountDownLatch failedLatch = new CountDownLatch(1);
    private volatile String failure;

    /** A record a step dead-lettered, with the reason. */
    public record DeadLetter(IndexDoc record, String reason) {
    }

    Snapshot(SnapshotReader reader, String index, String pitId, String keepAlive, String query, long count, ReadPlan plan,
             int pageSize, boolean keepIndex, Backoff backoff, RunAccount run, BiConsumer<SnapshotPage, DeadLetter> deadLetters) {
        this.reader = reader;
        this.index = index;
        this.pitId = pitId;
        this.keepAlive = keepAlive;
        this.query = query;
        this.count = count;
        this.plan = plan;
        this.pageSize = pageSize;
        this.keepIndex = keepIndex;
        this.backoff = backoff;
        this.run = run;
        this.deadLetters = deadLetters;
        List<SnapshotSlice> s = new ArrayList<>(plan.slices());
        for (int i = 0; i < plan.slices(); i++) {
            s.add(new SnapshotSlice(this, i));
        }
        this.slices = List.copyOf(s);
        this.slicesOpen = new AtomicInteger(plan.slices());
    }

    /** The slices, each a lazy iterator of pages; each can be iterated once. */
    @Override
    public Iterator<SnapshotSlice> iterator() {
        return slices.iterator();
    }

    public List<SnapshotSlice> slices() {
        return slices;
    }

    /** The index (alias, pattern) read. */
    public String index() {
        return index;
    }

    /** Documents the point in time holds for the query. */
    public long count() {
        return count;
    }

    /** Documents read so far, all slices (handed out in pages). */
    public long read() {
        return read.sum();
    }

    public ReadPlan plan() {
        return plan;
    }

    public String pitId() {
        return pitId;
    }

    /** True once every slice has ended, each having read what the point in time counts for it. */
    public boolean complete() {
        return slicesOpen.get() == 0 && failure == null && read() == count;
    }

    /** Why the snapshot failed (a slice could not be read), or null. */
    public String failure() {
        return failure;
    }

    void pitIdNow(String id) {
        if (id != null) {
            pitId = id;
        }
    }

    void pageRead(int documents) {
        read.add(documents);
        if (run != null) {
            run.read(documents);
        }
    }

    /** A slice failed: the others stop at their next page or retry; the point in time is left to its keep-alive. */
    void fail(int slice, RuntimeException e) {
        if (failure == null) {
            failure = "slice " + slice + ": " + e.getMessage();
            failedLatch.countDown();
        }
    }

    /** Waits a retry's backoff; true when the snapshot failed meanwhile (then the retry is not made). */
    boolean failsWithin(long millis) throws InterruptedException {
        return failedLatch.await(millis, TimeUnit.MILLISECONDS);
    }

    void sliceEnded() {
        if (slicesOpen.decrementAndGet() == 0) {
            try {
                reader.closePit(pitId);
            } catch (RuntimeException e) {
                LOG.warn("ferry-snapshot:{}: could not release the point in time ({}); it expires after {}", index,
                        e.getMessage(), keepAlive);
            }
        }
    }

    @Override
    public String toString() {
        return "Snapshot[" + index + ", " + count + " documents, " + plan.slices() + " slice(s), read " + read() + "]";
    }
}
