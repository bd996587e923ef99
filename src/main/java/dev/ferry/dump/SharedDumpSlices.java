package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.Pipeline;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.snapshot.SnapshotReader;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A dump shared by replicas ({@code ferry.opensearch-to-s3.slice-queue-enabled}). The replica that begins a dump (the
 * leader: its point in time, its checkpoint.json) sends one message per slice to the slice queue, then only waits.
 * Every replica reads slices from the queue: one slice into its own parts, numbered in the slice's own range, with
 * its own checkpoint ({@code slice-NNNNN.checkpoint.json}); the message is deleted once the slice is complete. A
 * replica that dies mid-slice leaves its message to reappear after the visibility timeout, and the next replica
 * resumes the slice from the slice's checkpoint. The waiting leader adopts each finished slice's parts, keeps the point
 * in time alive, fails the dump loudly when nothing moves for slice-stall-minutes, and writes the manifest once every
 * slice is complete and every part it names is stored (strays, stored after a checkpoint by a replica that died, are
 * removed first). A slice delivered twice is read to the same parts under the same names: the same point in time, the
 * same positions, the same cuts.
 */
public final class SharedDumpSlices {

    private static final Logger LOG = LoggerFactory.getLogger(SharedDumpSlices.class);
    private static final String PIPELINE = Pipeline.OPENSEARCH_TO_S3.id();
    static final String FORMAT = "ferry-opensearch-dump-slice/1";
    /** How often the waiting leader reads the slices' checkpoints. */
    static final long POLL_MS = 1_000;

    /**
     * The spool names of the slice readings under way in this JVM (all its replicas): the spool files of any other
     * reading of a dump's slices (one cut off by a crash, kill -9) are removed when a slice of that dump is begun or
     * the dump completes here.
     */
    private static final Set<String> READINGS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final OpenSearchDumps dumps;
    private final OpenSearchToS3Settings settings;
    private final SnapshotReader reader;
    private final DumpDestination destination;
    private final Runs runs;

    SharedDumpSlices(OpenSearchDumps dumps, OpenSearchToS3Settings settings, SnapshotReader reader,
                     DumpDestination destination, Runs runs) {
        this.dumps = dumps;
        this.settings = settings;
        this.reader = reader;
        this.destination = destination;
        this.runs = runs;
    }

    // ------------------------------------------------------------------------------------------- the leader's side

    /** One slice-queue message per slice still to read: the dump's folder and the slice. */
    public List<String> messages(Dump dump) {
        List<String> out = new ArrayList<>();
        for (Dump.SliceJob job : dump.pendingSlices()) {
            ObjectNode m = DumpStore.mapper().createObjectNode();
            m.put("format", FORMAT);
            m.put("dump", dump.keyPrefix);
            m.put("dumpId", dump.dumpId);
            m.put("index", dump.index);
            m.put("slice", job.slice());
            m.put("slices", dump.slices);
            out.add(m.toString());
        }
        LOG.info("dump {} of {}: {} slice(s) of {} sent to the slice queue; every replica reading it takes slices",
                dump.dumpId, dump.index, out.size(), dump.slices);
        return out;
    }

    /**
     * Waits until every slice of the dump is complete, adopting each finished slice's parts; renews the point in
     * time meanwhile. Fails (the dump route then fails the run, keeping every checkpoint) when the dump stops (the
     * lead lost), or when no slice moved for slice-stall-minutes.
     */
    public void awaitSlices(Dump dump) throws InterruptedException {
        long stallNanos = settings.sliceStallMinutes() * 60_000_000_000L;
        long renewNanos = keepAliveMillis(settings.keepAlive()) * 1_000_000L / 3;
        long lastMoved = System.nanoTime();
        long lastRenewed = System.nanoTime();
        long lastSeen = -1;
        while (true) {
            if (dump.failed) {
                throw stopped(dump);
            }
            long inProgress = 0;
            long documentsInProgress = 0;
            for (Dump.SliceJob job : dump.pendingSlices()) {
                int slice = job.slice();
                String key = dump.keyPrefix + DumpDestination.sliceCheckpoint(slice);
                Optional<JsonNode> c = dumps.retrying("read " + destination.locate(key), dump, () -> destination.readJson(key));
                if (c.isEmpty()) {
                    continue;
                }
                if (Dump.sliceDone(c.get(), slice)) {
                    if (dump.adoptSlice(slice, c.get())) {
                        LOG.info("dump {}: slice {} of {} is complete ({} documents, {} parts)", dump.dumpId, slice,
                                dump.slices, c.get().path("documents").asLong(), c.get().path("parts").size());
                    }
                } else {
                    inProgress += Dump.Totals.of(c.get()).hits() + c.get().path("parts").size();
                    documentsInProgress += c.get().path("documents").asLong();
                }
            }
            dump.documentsInSlices.set(dump.committedDocuments.get() + documentsInProgress);
            if (dump.allSlicesDone()) {
                return;
            }
            if (dumps.retrying("look for " + destination.locate(dump.keyPrefix + DumpDestination.MANIFEST), dump,
                    () -> destination.hasManifest(dump.keyPrefix))) {
                // (its slices' checkpoints are gone with it: this wait would never end)
                throw new IllegalStateException("dump " + dump.dumpId + " was completed by another replica (its"
                        + " manifest.json is there) while this one waited for its slices: two replicas led it at once;"
                        + " give every replica the same election (ferry.cluster.service)");
            }
            long seen = dump.hitsAccounted() + inProgress;
            long now = System.nanoTime();
            if (seen != lastSeen) {
                lastSeen = seen;
                lastMoved = now;
            } else if (now - lastMoved > stallNanos) {
                throw new IllegalStateException("dump " + dump.dumpId + ": no slice moved for "
                        + settings.sliceStallMinutes() + " min (slice-stall-minutes), " + dump.pendingSlices().size()
                        + " of " + dump.slices + " slices unfinished: no replica reads the slice queue, or a slice's"
                        + " message went to the queue's dead-letter queue; every slice's checkpoint is kept, and the"
                        + " dump's next resume sends its unfinished slices again");
            }
            if (now - lastRenewed > renewNanos) {
                lastRenewed = now;
                renewPointInTime(dump);
            }
            if (dump.failsWithin(POLL_MS)) {
                throw stopped(dump);
            }
        }
    }

    private static IllegalStateException stopped(Dump dump) {
        RuntimeException cause = dump.firstCause();
        return cause instanceof IllegalStateException e ? e
                : new IllegalStateException("dump " + dump.dumpId + " stopped while its slices were read", cause);
    }

    /** A search on the point in time renews its keep-alive (the replicas' own reads do too, while they read). */
    private void renewPointInTime(Dump dump) {
        long count;
        try {
            count = reader.count(dump.pitId, settings.keepAlive(), dump.query);
        } catch (RuntimeException e) {
            LOG.warn("dump {}: could not renew its point in time ({}); the replicas reading slices renew it too",
                    dump.dumpId, e.getMessage());
            return;
        }
        if (count < 0) {
            throw new IllegalStateException("dump " + dump.dumpId + ": its point in time has expired while its slices"
                    + " were read (keep-alive " + settings.keepAlive() + "); every slice's checkpoint is kept, and the"
                    + " dump's next resume goes on on a new point in time (finished slices kept; with sort _id the others"
                    + " continue by position, else they are read again from their start)");
        }
    }

    /**
     * Before the manifest: every part the slices' checkpoints name must be stored; parts no checkpoint names (stored
     * by a replica that died before it checkpointed them, or by a slice read again) are removed.
     */
    void checkPartsStored(Dump dump) {
        List<String> stored = dumps.storedParts(dump);
        Set<String> present = new HashSet<>(stored);
        for (Dump.CommittedPart p : dump.committedParts()) {
            boolean held = present.contains(p.key()) && dumps.retrying("check " + destination.locate(p.key()), dump,
                    () -> destination.holdsPart(p.key(), p.bytes(), p.sha256()));
            if (!held || p.deadLettersKey() != null && !present.contains(p.deadLettersKey())) {
                // the slice is read again by the next resume: out of the dump's checkpoint, its own checkpoint gone
                dump.forgetSlice(p.slice());
                dumps.writeCheckpoint(dump);
                String key = dump.keyPrefix + DumpDestination.sliceCheckpoint(p.slice());
                dumps.retrying("delete " + destination.locate(key), dump, () -> {
                    destination.delete(key);
                    return null;
                });
                throw new IllegalStateException("dump " + dump.dumpId + ": slice " + p.slice() + "'s checkpoint names "
                        + destination.locate(held ? p.deadLettersKey() : p.key()) + ", which is not stored as it says"
                        + " (missing, or another size or SHA-256: two readings of the slice that differ, as with a"
                        + " transform that is not deterministic); no manifest is written, and the dump's next resume"
                        + " reads slice " + p.slice() + " again from its start");
            }
        }
        dumps.removePartsNotInTheCheckpoint(dump, stored, "no slice's checkpoint names it: stored by a replica that"
                + " stopped before its checkpoint, or by a slice read again");
    }

    /** After the manifest: the slices' checkpoints are clutter (a failure to delete one is only logged). */
    void deleteSliceCheckpoints(Dump dump) {
        for (int slice = 0; slice < dump.slices; slice++) {
            String key = dump.keyPrefix + DumpDestination.sliceCheckpoint(slice);
            try {
                destination.delete(key);
            } catch (RuntimeException e) {
                LOG.warn("dump {} is complete but {} could not be deleted: {}", dump.dumpId, destination.locate(key),
                        e.getMessage());
            }
        }
    }

    /**
     * A shared dump resumed by a (new) leader: the slices the replicas finished become part of its checkpoint (parts
     * and counts), and are marked done, so only the others are sent to the queue again.
     */
    ObjectNode withFinishedSlices(String prefix, ObjectNode c) {
        int slices = c.path("slices").asInt();
        ArrayNode parts = c.withArray("parts");
        Dump.Totals totals = Dump.Totals.of(c);
        for (JsonNode position : c.path("slicePositions")) {
            int slice = position.path("slice").asInt();
            if (position.path("done").asBoolean() || slice >= slices) {
                continue;
            }
            Optional<JsonNode> sc = destination.readJson(prefix + DumpDestination.sliceCheckpoint(slice));
            if (sc.isEmpty() || !Dump.sliceDone(sc.get(), slice)) {
                continue;
            }
            for (JsonNode p : sc.get().path("parts")) {
                if (p.path("slice").asInt() == slice) {
                    parts.add(p);
                    totals = totals.plus(p);
                }
            }
            ((ObjectNode) position).put("done", true);
        }
        totals.setIn(c);
        return c;
    }

    /**
     * A shared dump resumed on a new point in time, its unfinished slices to be read again from their start: their
     * checkpoints go (their positions mean nothing on the new point in time). A failure here fails the resume.
     */
    void forgetUnfinishedSlices(String prefix, JsonNode c) {
        for (JsonNode position : c.path("slicePositions")) {
            if (!position.path("done").asBoolean()) {
                destination.delete(prefix + DumpDestination.sliceCheckpoint(position.path("slice").asInt()));
            }
        }
    }

    // ------------------------------------------------------------------------------------ every replica's side

    /**
     * A slice-queue message: the slice to read, from its own checkpoint (or its start), as a run of its own. Null
     * (and the route stops, so the message is deleted) when there is nothing to read: the dump is complete or gone,
     * the slice already complete (a message delivered twice), or the message is not a slice of a shared dump (then
     * a failed run says why).
     */
    public Dump.SliceJob beginSlice(String body, Exchange exchange) {
        JsonNode m = parse(body);
        if (m == null || !FORMAT.equals(m.path("format").asText()) || !m.path("dump").isTextual()
                || !m.path("slice").isInt()) {
            return rejected(exchange, "not a dump slice message (" + FORMAT + " with dump and slice): "
                    + abbreviate(body));
        }
        String prefix = m.path("dump").asText();
        int slice = m.path("slice").asInt();
        // The checkpoints first, the manifest last: the leader deletes the checkpoints only after the manifest, so a
        // message that comes late (a slice sent twice) never reads a finished slice again from its start.
        Optional<JsonNode> base = destination.readCheckpoint(prefix);
        Optional<JsonNode> own = base.isEmpty() ? Optional.empty()
                : destination.readJson(prefix + DumpDestination.sliceCheckpoint(slice));
        if (destination.hasManifest(prefix)) {
            LOG.info("slice {} of dump {}: the dump is complete; its message was delivered again, and is deleted", slice,
                    destination.locate(prefix));
            return nothingToRead(exchange);
        }
        if (base.isEmpty()) {
            return rejected(exchange, "slice " + slice + " of dump " + destination.locate(prefix) + " cannot be read:"
                    + " the dump has neither checkpoint.json nor manifest.json there (deleted, or this replica's"
                    + " destination is not the leader's)");
        }
        JsonNode b = base.get();
        if (!b.path("slicesShared").asBoolean() || slice < 0 || slice >= b.path("slices").asInt()) {
            return rejected(exchange, "slice " + slice + " of " + destination.locate(prefix) + " is not a slice of a"
                    + " dump shared through the slice queue (its checkpoint says slices=" + b.path("slices").asInt()
                    + ", slicesShared=" + b.path("slicesShared").asBoolean() + ")");
        }
        if (own.isPresent() && Dump.sliceDone(own.get(), slice)) {
            LOG.info("slice {} of dump {} is complete already; its message was delivered again, and is deleted", slice,
                    destination.locate(prefix));
            return nothingToRead(exchange);
        }
        PartCompression compression = PartCompression.of(b.path("compression").asText("gzip"));
        if (compression == null) {
            return rejected(exchange, destination.locate(prefix) + " names compression '" + b.path("compression").asText()
                    + "', which this Ferry does not know");
        }
        ObjectNode start;
        if (own.isPresent()) {
            start = (ObjectNode) own.get().deepCopy();
        } else {
            start = (ObjectNode) b.deepCopy(); // no parts of its own yet: from the slice's start
            start.putArray("parts");
            start.put("documents", 0);
            start.put("filtered", 0);
            start.put("deadLettered", 0);
            for (JsonNode p : start.path("slicePositions")) {
                ((ObjectNode) p).put("done", false);
                ((ObjectNode) p).putNull("searchAfter");
            }
        }
        String index = b.path("index").asText();
        JsonNode query = b.path("query");
        RunAccount run = runs.begin(PIPELINE, index + " slice " + slice + " of " + b.path("slices").asInt() + " -> "
                + destination.locate(prefix) + (own.isPresent() ? " (resumed)" : ""));
        Dump dump;
        try {
            // the leader's point in time (renewed by a resume): the slice is read on the dump's snapshot, cut as the
            // dump's checkpoint says
            dump = new Dump(b.path("dumpId").asText(), index, query.isMissingNode() || query.isNull() ? null : query.toString(),
                    b.path("sort").asText(), b.path("slices").asInt(), prefix, Instant.parse(b.path("startedAt").asText()),
                    b.path("documentsAtSnapshot").asLong(), b.path("pitId").asText(null), run, start, compression, true,
                    slice, Dump.Cuts.of(b, settings));
        } catch (RuntimeException e) {
            runs.fail(run, "cannot read slice " + slice + " of " + destination.locate(prefix) + ": " + e);
            throw e;
        }
        dump.transform = dumps.transformOfTheRoute();
        READINGS.add(dump.spoolName());
        removeSpoolOfEndedReadings(dump.dumpId);
        exchange.setProperty(OpenSearchDumps.DUMP_PROPERTY, dump);
        exchange.setProperty(RetryCounter.RUN_PROPERTY, run);
        LOG.info("dump {} of {}: this replica reads slice {} of {}{}", dump.dumpId, index, slice, dump.slices,
                own.isPresent() ? " from its checkpoint (" + own.get().path("parts").size() + " parts stored)" : "");
        return new Dump.SliceJob(dump, slice);
    }

    /** The slice is read and every part stored: its checkpoint says so (the leader adopts it), its run balances. */
    public RunAccount completeSlice(Dump.SliceJob job) {
        Dump dump = job.dump();
        if (!dump.allSlicesDone()) {
            throw new IllegalStateException("slice " + job.slice() + " of dump " + dump.dumpId + " ended with parts not stored");
        }
        dumps.writeCheckpoint(dump);
        dumps.release(dump);
        READINGS.remove(dump.spoolName());
        RunAccount run = runs.finish(dump.run);
        LOG.info("dump {}: slice {} of {} complete on this replica ({} documents in all, {} read now)", dump.dumpId,
                job.slice(), dump.slices, dump.committedDocuments.get(), dump.committedDocuments.get() - dump.resumedDocuments.get());
        return run;
    }

    /**
     * The slice failed on this replica: its run fails with the reason, its checkpoint stays, and the failure goes on
     * to the queue consumer, so the message is not deleted: it comes back after its visibility timeout, and a replica
     * resumes the slice from its checkpoint.
     */
    public void sliceFailed(Exchange exchange) throws Exception {
        Exception cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        Dump dump = exchange.getProperty(OpenSearchDumps.DUMP_PROPERTY, Dump.class);
        if (dump != null) {
            String reason = OpenSearchDumps.reason(dump.firstCause() != null ? dump.firstCause() : cause);
            dumps.stopAndRelease(dump);
            READINGS.remove(dump.spoolName());
            runs.fail(dump.run, reason + " (slice " + dump.onlySlice + " of dump " + dump.dumpId + ": its checkpoint holds "
                    + dump.checkpointedParts() + " parts; the slice's message comes back after its visibility timeout, and"
                    + " a replica resumes the slice from its checkpoint)");
        } else {
            LOG.warn("a slice-queue message could not be begun ({}); it comes back after its visibility timeout",
                    OpenSearchDumps.reason(cause));
        }
        throw cause == null ? new IllegalStateException("slice failed") : cause;
    }

    /** Removes the spool files of this dump's slice readings that are not under way in this JVM. */
    void removeSpoolOfEndedReadings(String dumpId) {
        String prefix = dumpId + ".slice-";
        dumps.deleteSpool(name -> name.startsWith(prefix) && READINGS.stream().noneMatch(r -> name.startsWith(r + "-")));
    }

    private Dump.SliceJob nothingToRead(Exchange exchange) {
        exchange.setRouteStop(true);
        return null;
    }

    private Dump.SliceJob rejected(Exchange exchange, String reason) {
        RunAccount run = runs.begin(PIPELINE, "slice-queue message");
        runs.fail(run, reason + "; the message is deleted");
        LOG.error("slice queue: {}; the message is deleted", reason);
        return nothingToRead(exchange);
    }

    private static JsonNode parse(String body) {
        try {
            return body == null ? null : DumpStore.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String abbreviate(String body) {
        String b = body == null ? "(no body)" : body.replaceAll("\\s+", " ");
        return b.length() > 200 ? b.substring(0, 200) + "..." : b;
    }

    static long keepAliveMillis(String keepAlive) {
        long n = Long.parseLong(keepAlive.substring(0, keepAlive.length() - 1).trim());
        return switch (keepAlive.charAt(keepAlive.length() - 1)) {
            case 's' -> n * 1_000;
            case 'm' -> n * 60_000;
            default -> n * 3_600_000;
        };
    }
}
