package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.accounting.RunAccount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One dump under way: where it goes, its snapshot (point in time), its run in the ledger, and per slice the position
 * up to which every part is safely at the destination. Parts upload concurrently and may finish out of order, so a slice's
 * committed position only moves over an unbroken run of uploaded parts; that position (and the parts behind it)
 * is what {@code checkpoint.json} records and what a resumed dump starts from.
 */
public final class Dump {

    /**
     * A part of this dump handed to the upload route, with what the transform stage did to the hits it covers:
     * {@code filtered} dropped, {@code deadLettered} written to {@code deadLetters} (null when none).
     */
    public record PartJob(Dump dump, SpooledPart part, long filtered, long deadLettered, SpooledPart deadLetters) {
        public String key() {
            return dump.keyPrefix() + part.name();
        }

        /** Where the part's dead letters go, beside it (never read back by a restore: see S3Inbox). */
        public String deadLettersKey() {
            return dump.keyPrefix() + deadLettersName(part.number());
        }
    }

    static String deadLettersName(int part) {
        return String.format("part-%05d.dead-letters.ndjson.gz", part);
    }

    /**
     * Where a dump's parts are cut and how hard they are compressed. A dump shared by replicas records them in its
     * checkpoint and every replica reads its slices with them, whatever its own settings: a slice read twice (a
     * message delivered again) is then cut into the same parts under the same names.
     */
    record Cuts(int pageSize, long partMaxDocs, long partMaxBytes, int compressionLevel) {
        static Cuts of(OpenSearchToS3Settings s) {
            return new Cuts(s.pageSize(), s.partMaxDocs(), s.partMaxBytes(), s.compressionLevel());
        }

        /** The checkpoint's (a shared dump's), each one missing taken from the settings. */
        static Cuts of(JsonNode checkpoint, OpenSearchToS3Settings s) {
            JsonNode c = checkpoint.path("cuts");
            return new Cuts(c.path("pageSize").asInt(s.pageSize()), c.path("partMaxDocs").asLong(s.partMaxDocs()),
                    c.path("partMaxBytes").asLong(s.partMaxBytes()), c.path("compressionLevel").asInt(s.compressionLevel()));
        }
    }

    /** One slice to read, handed to the slice route. */
    public record SliceJob(Dump dump, int slice) {
    }

    record CommittedPart(int number, int slice, String key, long documents, long bytes, String sha256,
                         long filtered, long deadLettered, String deadLettersKey) {
    }

    /**
     * The hits a checkpoint accounts for, as {@link #checkpoint()} writes them for the dump and for each part:
     * documents written, and hits the transform filtered or dead-lettered. A resume sums them over the parts it keeps.
     */
    record Totals(long documents, long filtered, long deadLettered) {
        static final Totals NONE = new Totals(0, 0, 0);

        /** A checkpoint's totals, or one part's counts (a count not written is 0). */
        static Totals of(JsonNode checkpointOrPart) {
            return new Totals(checkpointOrPart.path("documents").asLong(), checkpointOrPart.path("filtered").asLong(),
                    checkpointOrPart.path("deadLettered").asLong());
        }

        /** Every hit they account for: written, filtered and dead-lettered. */
        long hits() {
            return documents + filtered + deadLettered;
        }

        Totals plus(JsonNode part) {
            Totals p = of(part);
            return new Totals(documents + p.documents, filtered + p.filtered, deadLettered + p.deadLettered);
        }

        /** Writes them as the checkpoint's totals. */
        void setIn(ObjectNode checkpoint) {
            checkpoint.put("documents", documents);
            checkpoint.put("filtered", filtered);
            checkpoint.put("deadLettered", deadLettered);
        }
    }

    private static final class SliceState {
        byte[] committedSort;
        boolean readerFinished;
        boolean done;
        final Deque<PartJob> inFlight = new ArrayDeque<>();
        final java.util.Set<Integer> uploaded = new java.util.HashSet<>();
    }

    final String dumpId;
    final String index;
    final String query;
    final String sort;
    /** How its parts are compressed: the setting when it began, the checkpoint's when it is resumed. */
    final PartCompression compression;
    final int slices;
    final String keyPrefix;
    final Instant startedAt;
    final long documentsAtSnapshot;
    final RunAccount run;
    final boolean resumed;
    /**
     * True when the dump's slices go through the slice queue to every replica (slice-queue-enabled): the replica that
     * began it only waits for them and writes the manifest, and each slice keeps its own checkpoint.
     */
    final boolean shared;
    /** -1 for the dump as a whole; the slice number when this is one replica's reading of one slice of a shared dump. */
    final int onlySlice;
    /** Where parts are cut, and the compression level. */
    final Cuts cuts;
    /** A slice read of a shared dump: unique per reading, so two readings of one slice never share spool files. */
    private final String reading = Integer.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextInt(0x10000, 0x100000));
    /** A shared dump's documents in its slices' checkpoints, finished or not (what the waiting replica last saw). */
    final AtomicLong documentsInSlices = new AtomicLong();
    volatile String pitId;
    volatile boolean failed;
    /** True once the stored checkpoint.json names this dump's point in time: then a failed dump keeps it for a resume. */
    volatile boolean checkpointWritten;
    /** Set (under the dump's lock) once the dump has ended: no checkpoint is written after that. */
    volatile boolean released;
    private final java.util.concurrent.CountDownLatch failure = new java.util.concurrent.CountDownLatch(1);
    /** Threads reading a part or uploading one for this dump right now. */
    private int busy;
    private RuntimeException firstCause;
    private int checkpointedParts;
    private long checkpointedDocuments;
    /** When a resume had to open a new point in time because the dump's had expired (recorded in the manifest). */
    private final List<String> pointInTimeRenewals = new ArrayList<>();
    private final SliceState[] state;
    private final List<CommittedPart> committed = new ArrayList<>();
    private final AtomicInteger nextPart;
    final AtomicLong committedDocuments = new AtomicLong();
    /** Hits of committed parts the transform stage dropped, and dead-lettered: with the documents, the snapshot's count. */
    final AtomicLong committedFiltered = new AtomicLong();
    final AtomicLong committedDeadLettered = new AtomicLong();
    /** The transform stage of this dump (null: none configured, hits are written as read). */
    volatile OpenSearchDumps.Transform transform;
    final AtomicLong resumedDocuments = new AtomicLong();
    final long startNanos = System.nanoTime();

    Dump(String dumpId, String index, String query, String sort, int slices, String keyPrefix,
         Instant startedAt, long documentsAtSnapshot, String pitId, RunAccount run, JsonNode checkpoint,
         PartCompression compression, boolean shared, int onlySlice, Cuts cuts) {
        this.dumpId = dumpId;
        this.cuts = cuts;
        this.shared = shared;
        this.onlySlice = onlySlice;
        this.compression = compression;
        this.index = index;
        this.query = query;
        this.sort = sort;
        this.slices = slices;
        this.keyPrefix = keyPrefix;
        this.startedAt = startedAt;
        this.documentsAtSnapshot = documentsAtSnapshot;
        this.pitId = pitId;
        this.run = run;
        this.resumed = checkpoint != null;
        this.state = new SliceState[slices];
        for (int i = 0; i < slices; i++) {
            state[i] = new SliceState();
        }
        int maxPart = 0;
        if (checkpoint != null) {
            for (JsonNode p : checkpoint.path("parts")) {
                maxPart = Math.max(maxPart, commitStored(p).number());
            }
            resumedDocuments.set(committedDocuments.get());
            checkpoint.path("pointInTimeRenewedAt").forEach(t -> pointInTimeRenewals.add(t.asText()));
            checkpointed(checkpoint);
            for (JsonNode s : checkpoint.path("slicePositions")) {
                SliceState st = state[s.path("slice").asInt()];
                st.done = s.path("done").asBoolean();
                JsonNode after = s.path("searchAfter");
                st.committedSort = after.isMissingNode() || after.isNull() ? null : bytes(after);
            }
        }
        if (onlySlice >= 0) {
            // one slice of a shared dump: the others are other replicas' work, and its parts are numbered in its own
            // range, so two replicas never write the same part name
            for (int i = 0; i < slices; i++) {
                if (i != onlySlice) {
                    state[i].done = true;
                }
            }
            maxPart = Math.max(maxPart, firstPartOfSlice(onlySlice) - 1);
        }
        this.nextPart = new AtomicInteger(maxPart + 1);
    }

    /** The first part number of a slice of a shared dump: part-&lt;slice+1&gt;000001, part-&lt;slice+1&gt;000002, ... */
    static int firstPartOfSlice(int slice) {
        return (slice + 1) * 1_000_000 + 1;
    }

    /** What this dump's spool file names start with: its id, and its slice when it is one slice of a shared dump. */
    String spoolName() {
        return onlySlice < 0 ? dumpId : dumpId + ".slice-" + onlySlice + "." + reading;
    }

    /**
     * The waiting replica of a shared dump takes over a slice another replica finished: its parts (from the slice's
     * checkpoint) become this dump's, and the slice is done. False when it was already adopted.
     */
    synchronized boolean adoptSlice(int slice, JsonNode sliceCheckpoint) {
        if (state[slice].done) {
            return false;
        }
        for (JsonNode p : sliceCheckpoint.path("parts")) {
            if (p.path("slice").asInt() == slice) {
                commitStored(p);
            }
        }
        state[slice].done = true;
        return true;
    }

    /** A part a checkpoint names (as {@link #checkpoint()} writes it) counts as committed. */
    private CommittedPart commitStored(JsonNode p) {
        CommittedPart c = new CommittedPart(p.path("number").asInt(), p.path("slice").asInt(), p.path("key").asText(),
                p.path("documents").asLong(), p.path("bytes").asLong(), p.path("sha256").asText(),
                p.path("filtered").asLong(), p.path("deadLettered").asLong(),
                p.hasNonNull("deadLettersKey") ? p.path("deadLettersKey").asText() : null);
        committed.add(c);
        committedDocuments.addAndGet(c.documents());
        committedFiltered.addAndGet(c.filtered());
        committedDeadLettered.addAndGet(c.deadLettered());
        return c;
    }

    /** A shared dump's slice to be read again from its start: its parts are no longer this dump's. */
    synchronized void forgetSlice(int slice) {
        java.util.Iterator<CommittedPart> it = committed.iterator();
        while (it.hasNext()) {
            CommittedPart c = it.next();
            if (c.slice() == slice) {
                it.remove();
                committedDocuments.addAndGet(-c.documents());
                committedFiltered.addAndGet(-c.filtered());
                committedDeadLettered.addAndGet(-c.deadLettered());
            }
        }
        state[slice].done = false;
        state[slice].committedSort = null;
    }

    /** True when a slice's checkpoint says the slice is read and all its parts are stored. */
    static boolean sliceDone(JsonNode sliceCheckpoint, int slice) {
        for (JsonNode p : sliceCheckpoint.path("slicePositions")) {
            if (p.path("slice").asInt() == slice) {
                return p.path("done").asBoolean();
            }
        }
        return false;
    }

    public String dumpId() { return dumpId; }
    public String keyPrefix() { return keyPrefix; }
    public RunAccount run() { return run; }
    public long documentsAtSnapshot() { return documentsAtSnapshot; }
    public long documentsDumped() {
        return Math.max(committedDocuments.get(), documentsInSlices.get());
    }
    /** Hits of the snapshot accounted for so far: written, filtered or dead-lettered. */
    public long hitsAccounted() {
        return committedDocuments.get() + committedFiltered.get() + committedDeadLettered.get();
    }

    /** Marks the dump failed: no more parts are read or uploaded, and retry waits end at once. */
    void markFailed() {
        failed = true;
        failure.countDown();
    }

    /** As {@link #markFailed()}, remembering the first cause (the other slices then fail only because of it). */
    synchronized void markFailed(RuntimeException cause) {
        if (firstCause == null && !failed) {
            firstCause = cause;
        }
        markFailed();
    }

    synchronized RuntimeException firstCause() {
        return firstCause;
    }

    /** Records what the checkpoint just written holds (for the run's "stopped with" line). */
    synchronized void checkpointed(JsonNode checkpoint) {
        checkpointedParts = checkpoint.path("parts").size();
        checkpointedDocuments = checkpoint.path("documents").asLong();
    }

    synchronized int checkpointedParts() {
        return checkpointedParts;
    }

    synchronized long checkpointedDocuments() {
        return checkpointedDocuments;
    }

    /** Waits up to {@code millis}; true when the dump failed meanwhile (so a retry is pointless). */
    boolean failsWithin(long millis) throws InterruptedException {
        return failure.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** A thread starts reading or uploading a part of this dump. */
    synchronized void enter() {
        busy++;
    }

    synchronized void exit() {
        busy--;
        notifyAll();
    }

    /**
     * Waits until no thread reads or uploads for this dump, at most {@code millis}: a failed dump lets its other
     * slices stop before a resume starts (a late upload must not land in the resumed dump's folder). True when idle.
     */
    synchronized boolean awaitIdle(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (busy > 0) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    synchronized void pointInTimeRenewed(Instant at) {
        pointInTimeRenewals.add(at.toString());
    }

    int allocatePart() {
        int number = nextPart.getAndIncrement();
        if (onlySlice >= 0 && number >= firstPartOfSlice(onlySlice + 1)) {
            throw new IllegalStateException("slice " + onlySlice + " of dump " + dumpId + " would need more than 999,999"
                    + " parts (its names would run into the next slice's): raise part-max-docs or part-max-bytes and"
                    + " start a new dump");
        }
        return number;
    }

    /** The slices still to read (all of them for a new dump). */
    synchronized List<SliceJob> pendingSlices() {
        List<SliceJob> jobs = new ArrayList<>();
        for (int i = 0; i < slices; i++) {
            if (!state[i].done) {
                jobs.add(new SliceJob(this, i));
            }
        }
        return jobs;
    }

    synchronized byte[] committedSort(int slice) {
        return state[slice].committedSort;
    }

    synchronized PartJob spooled(SpooledPart part, long filtered, long deadLettered, SpooledPart deadLetters) {
        PartJob job = new PartJob(this, part, filtered, deadLettered, deadLetters);
        state[part.slice()].inFlight.addLast(job);
        return job;
    }

    synchronized void readerFinished(int slice) {
        SliceState s = state[slice];
        s.readerFinished = true;
        s.done = s.inFlight.isEmpty();
    }

    /**
     * Records an uploaded part; moves its slice's committed position over every uploaded part at the head of the
     * slice's queue. Returns true when the committed state changed (and the checkpoint should be rewritten).
     */
    synchronized boolean uploaded(PartJob job) {
        SliceState s = state[job.part().slice()];
        s.uploaded.add(job.part().number());
        boolean moved = false;
        while (!s.inFlight.isEmpty() && s.uploaded.remove(s.inFlight.peekFirst().part().number())) {
            PartJob head = s.inFlight.removeFirst();
            SpooledPart p = head.part();
            committed.add(new CommittedPart(p.number(), p.slice(), head.key(), p.documents(), p.bytes(), p.sha256(),
                    head.filtered(), head.deadLettered(), head.deadLetters() == null ? null : head.deadLettersKey()));
            committedDocuments.addAndGet(p.documents());
            committedFiltered.addAndGet(head.filtered());
            committedDeadLettered.addAndGet(head.deadLettered());
            s.committedSort = p.lastSort();
            moved = true;
        }
        s.done = s.readerFinished && s.inFlight.isEmpty();
        return moved;
    }

    synchronized boolean allSlicesDone() {
        for (SliceState s : state) {
            if (!s.done) {
                return false;
            }
        }
        return true;
    }

    synchronized List<CommittedPart> committedParts() {
        return List.copyOf(committed);
    }

    /** The keys of committed parts and of their dead-letter files. */
    synchronized List<String> committedKeys() {
        List<String> keys = new ArrayList<>();
        for (CommittedPart p : committed) {
            keys.add(p.key());
            if (p.deadLettersKey() != null) {
                keys.add(p.deadLettersKey());
            }
        }
        return keys;
    }

    /** The checkpoint: what is safely uploaded, and where each slice resumes. */
    synchronized ObjectNode checkpoint() {
        ObjectNode c = header("ferry-opensearch-dump-checkpoint/1");
        if (onlySlice >= 0) {
            c.put("slice", onlySlice);
            c.put("updatedAt", Instant.now().toString());
        }
        c.put("pitId", pitId);
        c.put("documents", committedDocuments.get());
        c.put("filtered", committedFiltered.get());
        c.put("deadLettered", committedDeadLettered.get());
        ArrayNode positions = c.putArray("slicePositions");
        for (int i = 0; i < slices; i++) {
            ObjectNode p = positions.addObject();
            p.put("slice", i);
            p.put("done", state[i].done);
            if (state[i].committedSort != null) {
                p.set("searchAfter", tree(state[i].committedSort));
            } else {
                p.putNull("searchAfter");
            }
        }
        writeParts(c, true);
        return c;
    }

    /** The manifest of the complete dump. */
    synchronized ObjectNode manifest(Instant endedAt) {
        ObjectNode m = header("ferry-opensearch-dump/1");
        m.put("snapshot", "point_in_time");
        m.put("endedAt", endedAt.toString());
        m.put("documents", committedDocuments.get());
        // hits of the snapshot a transform dropped or dead-lettered: documents + filtered + deadLettered = documentsAtSnapshot
        m.put("filtered", committedFiltered.get());
        m.put("deadLettered", committedDeadLettered.get());
        writeParts(m, false);
        return m;
    }

    private ObjectNode header(String format) {
        ObjectNode n = DumpStore.mapper().createObjectNode();
        n.put("format", format);
        n.put("dumpId", dumpId);
        n.put("index", index);
        if (query == null) {
            n.putNull("query");
        } else {
            n.set("query", tree(query.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        n.put("sort", sort);
        n.put("slices", slices);
        if (shared) {
            n.put("slicesShared", true);
            ObjectNode c = n.putObject("cuts");
            c.put("pageSize", cuts.pageSize());
            c.put("partMaxDocs", cuts.partMaxDocs());
            c.put("partMaxBytes", cuts.partMaxBytes());
            c.put("compressionLevel", cuts.compressionLevel());
        }
        n.put("compression", compression.id());
        n.put("startedAt", startedAt.toString());
        n.put("documentsAtSnapshot", documentsAtSnapshot);
        if (!pointInTimeRenewals.isEmpty()) {
            ArrayNode renewed = n.putArray("pointInTimeRenewedAt");
            pointInTimeRenewals.forEach(renewed::add);
        }
        return n;
    }

    private void writeParts(ObjectNode n, boolean withPlacement) {
        ArrayNode parts = n.putArray("parts");
        committed.stream().sorted(Comparator.comparingInt(CommittedPart::number)).forEach(p -> {
            ObjectNode o = parts.addObject();
            o.put("key", p.key());
            if (withPlacement) {
                o.put("number", p.number());
                o.put("slice", p.slice());
            }
            o.put("documents", p.documents());
            o.put("bytes", p.bytes());
            o.put("sha256", p.sha256());
            if (p.filtered() > 0) {
                o.put("filtered", p.filtered());
            }
            if (p.deadLettered() > 0) {
                o.put("deadLettered", p.deadLettered());
                o.put("deadLettersKey", p.deadLettersKey());
            }
        });
    }

    private static JsonNode tree(byte[] json) {
        try {
            return DumpStore.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return DumpStore.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
