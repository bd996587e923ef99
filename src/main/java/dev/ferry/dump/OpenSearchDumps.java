package dev.ferry.dump;

import dev.ferry.snapshot.HitCursor;
import dev.ferry.snapshot.ReadPlan;
import dev.ferry.snapshot.SnapshotReader;
import dev.ferry.opensearch.Backoff;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.Pipeline;
import dev.ferry.opensearch.IndexDoc;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The steps of routes/opensearch-to-s3.camel.yaml: begin a dump (or resume the unfinished one), read each slice into
 * spooled parts, upload and commit them, then verify, write the manifest and close the run; or fail it loudly.
 */
public final class OpenSearchDumps {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSearchDumps.class);
    public static final String DUMP_PROPERTY = "ferryDump";
    private static final String PIPELINE = Pipeline.OPENSEARCH_TO_S3.id();
    /** The end of a shared dump's run subject (slice-queue-enabled), whether it begins or resumes. */
    private static final String SHARED_SUBJECT = " (slices shared through the slice queue)";
    private static final DateTimeFormatter DUMP_ID = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    /** The dump's transform stage: applies the route opensearch-to-s3-transform to one batch of hits. */
    public interface Transform {
        void apply(DumpBatch batch, Dump dump);
    }

    /** Asked at each dump's start (the route may have been edited since): the transform, or null for none. */
    private volatile java.util.function.Supplier<Transform> transformOfTheRoute = () -> null;

    /** The transform stage of the route as it is now (null: none configured). */
    Transform transformOfTheRoute() {
        return transformOfTheRoute.get();
    }

    public void transformWith(java.util.function.Supplier<Transform> transform) {
        this.transformOfTheRoute = transform;
    }

    /**
     * What to dump: from the settings (schedule, one-shot) or from a request file. {@code resumeOnly}: continue the
     * index's unfinished dump, and do nothing (no run) when there is none any more or a dump of the index is running.
     */
    public record DumpRequest(String index, String query, boolean resumeOnly) {
        public DumpRequest(String index, String query) {
            this(index, query, false);
        }
    }

    private final OpenSearchToS3Settings settings;
    private final SnapshotReader reader;
    private final DumpDestination destination;
    private final Runs runs;
    private final DumpProgress progress;
    private final Backoff backoff;
    private final Map<String, Dump> active = new ConcurrentHashMap<>();
    /** The slice-queue side of dumps shared by replicas (slice-queue-enabled). */
    private final SharedDumpSlices sharedSlices;
    /** Index folders with a dump starting or running: at most one each. */
    private final java.util.Set<String> claimed = ConcurrentHashMap.newKeySet();

    public OpenSearchDumps(OpenSearchToS3Settings settings, SnapshotReader reader, DumpDestination destination,
                           Runs runs, DumpProgress progress, Backoff backoff) {
        this.settings = settings;
        this.backoff = backoff;
        this.reader = reader;
        this.destination = destination;
        this.runs = runs;
        this.progress = progress;
        this.sharedSlices = new SharedDumpSlices(this, settings, reader, destination, runs);
    }

    /** The slice queue's side of shared dumps: the messages, the waiting replica's loop, one replica's slice. */
    public SharedDumpSlices sharedSlices() {
        return sharedSlices;
    }

    /** The dump the settings describe (the scheduled and one-shot trigger). */
    public DumpRequest configuredRequest() {
        return new DumpRequest(settings.index(), settings.query());
    }

    /** A request file: {@code {"index": "...", "query": {...}}}; a missing index means the configured one. */
    public DumpRequest requestFromFile(String body) throws IOException {
        JsonNode json = body == null || body.isBlank() ? DumpStore.mapper().createObjectNode() : DumpStore.mapper().readTree(body);
        String index = json.path("index").asText(settings.index());
        JsonNode query = json.get("query");
        return new DumpRequest(index, query == null || query.isNull() ? null : query.toString());
    }

    /**
     * Snapshot: opens a point in time and counts it, or picks up the latest unfinished dump of the same index and
     * query (its checkpoint without a manifest) and continues it. Starts the run in the ledger.
     */
    public Dump begin(DumpRequest request, Exchange exchange) {
        String folder = folderOf(request.index());
        // One dump per index at a time, claimed before anything is opened or begun: two triggers at once (the
        // schedule, a request file, a resume at start) never both open a snapshot or both resume the same dump.
        if (!claimed.add(folder)) {
            Dump running = active.get(folder);
            if (request.resumeOnly()) {
                LOG.info("the unfinished dump of {} is not resumed now: a dump of it is running{}", request.index(),
                        running == null ? "" : " (" + running.dumpId + ")");
                exchange.setRouteStop(true);
                return null;
            }
            throw new IllegalStateException("a dump of " + request.index() + " is already running"
                    + (running == null ? "" : " (" + running.dumpId + ")"));
        }
        Dump dump = null;
        try {
            dump = settings.resume() ? resumable(request, folder).orElse(null) : null;
            if (dump == null && request.resumeOnly()) {
                LOG.info("the dump of {} is no longer unfinished: nothing to resume", request.index());
                exchange.setRouteStop(true);
                return null; // never a new dump at an unscheduled time
            }
            if (dump == null) {
                dump = fresh(request, folder);
            }
            active.put(folder, dump);
            // from here on the dump route's failure step releases the claim (and the point in time, the run)
            exchange.setProperty(DUMP_PROPERTY, dump);
            exchange.setProperty(RetryCounter.RUN_PROPERTY, dump.run);
        } finally {
            if (exchange.getProperty(DUMP_PROPERTY) == null) {
                claimed.remove(folder);
            }
        }
        dump.transform = transformOfTheRoute.get();
        progress.started(dump);
        // The checkpoint names the point in time before anything is read, so even a dump that fails before its
        // first part is resumed on the same snapshot. A resume writes the state it continues from (the parts it
        // keeps, a new point in time) before it removes any part: a crash in between leaves extra parts, which
        // the next resume removes, never a checkpoint naming parts that are gone.
        writeCheckpoint(dump);
        if (dump.resumed && !dump.shared) {
            // (a shared dump's replicas may be storing parts right now: its strays are removed once every slice is in)
            removePartsNotInTheCheckpoint(dump, storedParts(dump), "not in the checkpoint the dump resumes from:"
                    + " stored after it, left unfinished, or of a slice read again; its documents are read again");
        }
        LOG.info("dump {} of {} {}: {} documents in the snapshot, {} already dumped, to {}", dump.dumpId, dump.index,
                dump.resumed ? "resumed" : "started", dump.documentsAtSnapshot, dump.documentsDumped(),
                destination.locate(dump.keyPrefix));
        return dump;
    }

    private Dump fresh(DumpRequest request, String folder) {
        if (!reader.supportsPointInTime()) {
            throw new IllegalStateException("OpenSearch " + reader.version() + " has no point in time (2.4+ needed):"
                    + " Ferry does not dump from it");
        }
        Instant started = Instant.now();
        String dumpId = DUMP_ID.format(started) + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
        String pit = reader.openPit(request.index(), settings.keepAlive());
        try {
            long total = reader.count(pit, settings.keepAlive(), request.query());
            ReadPlan plan = plan(request.index(), pit);
            LOG.info("dump {} of {}: sort {}, {} slice(s) ({})", dumpId, request.index(), plan.sort(), plan.slices(), plan.why());
            RunAccount run = runs.begin(PIPELINE, request.index() + " -> " + destination.locate(folder + dumpId)
                    + (settings.sliceQueueEnabled() ? SHARED_SUBJECT : ""));
            return new Dump(dumpId, request.index(), request.query(), plan.sort(), plan.slices(), folder + dumpId + "/",
                    started, total, pit, run, null, settings.compression(), settings.sliceQueueEnabled(), -1,
                    Dump.Cuts.of(settings));
        } catch (RuntimeException e) {
            reader.closePit(pit);
            throw e;
        }
    }

    /** How this dump reads its snapshot: {@link ReadPlan#choose} with the configured sort and slices. */
    ReadPlan plan(String index, String pit) {
        return ReadPlan.choose(reader, index, pit, settings.keepAlive(), settings.sort(), settings.slices());
    }

    private Optional<Dump> resumable(DumpRequest request, String folder) {
        return unfinished(request, folder).map(u -> resume(request, u.prefix(), u.checkpoint()));
    }

    private record Unfinished(String prefix, JsonNode checkpoint) {
    }

    /**
     * The index's latest dump when it is unfinished (a checkpoint, no manifest) and was made for this request with
     * these settings: the one {@link #begin} resumes. Dumps that failed before their first checkpoint are skipped.
     */
    private Optional<Unfinished> unfinished(DumpRequest request, String folder) {
        List<String> dumps = destination.dumps(folder);
        for (int i = dumps.size() - 1; i >= 0; i--) {
            String prefix = dumps.get(i);
            if (destination.hasManifest(prefix)) {
                return Optional.empty(); // the latest dump is complete: start a new one
            }
            Optional<JsonNode> checkpoint = destination.readCheckpoint(prefix);
            if (checkpoint.isEmpty()) {
                continue; // failed before its first part: nothing to resume
            }
            JsonNode c = checkpoint.get();
            JsonNode query = request.query() == null ? com.fasterxml.jackson.databind.node.NullNode.instance
                    : readTree(request.query());
            // auto picks sort and slices from the server and the index: the checkpoint's choice stands
            boolean auto = settings.sort().equals("auto");
            if (!c.path("index").asText().equals(request.index()) || !c.path("query").equals(query)
                    || !auto && (!c.path("sort").asText().equals(settings.sort()) || c.path("slices").asInt() != settings.slices())) {
                LOG.warn("unfinished dump {} was made with other settings (index, query, sort or slices): not resumed", prefix);
                return Optional.empty();
            }
            if (c.path("slicesShared").asBoolean() != settings.sliceQueueEnabled()) {
                LOG.warn("unfinished dump {} was {} through the slice queue, and slice-queue-enabled is now {}: not resumed",
                        prefix, c.path("slicesShared").asBoolean() ? "shared" : "not shared", settings.sliceQueueEnabled());
                return Optional.empty();
            }
            return Optional.of(new Unfinished(prefix, c));
        }
        return Optional.empty();
    }

    /**
     * Fails every running dump at once, for {@code reason}: its slices stop at their next part, no manifest is written,
     * the checkpoint is kept (as after any failure), and the dump route records the run FAILED.
     */
    public void stopAll(String reason) {
        for (Dump dump : active.values()) {
            LOG.warn("dump {} of {} stops: {}", dump.dumpId, dump.index, reason);
            dump.markFailed(new IllegalStateException(reason));
        }
    }

    /**
     * When this replica starts, or becomes the dump's leader: the configured dump if its latest dump was left
     * unfinished (a crash, a killed leader, a failure) and will be resumed, so it goes on now instead of at the next
     * scheduled time; null when there is nothing to resume, a dump of the index is running, or a request file is
     * waiting in request-dir (the request-file route resumes its own dump).
     */
    public DumpRequest unfinishedConfiguredDump() {
        DumpRequest configured = configuredRequest();
        String folder = folderOf(configured.index());
        if (!settings.resume() || claimed.contains(folder) || requestFileWaiting()) {
            return null;
        }
        Optional<Unfinished> left = unfinished(configured, folder);
        left.ifPresent(u -> LOG.info("dump {} of {} was left unfinished: resuming it now, not at the next scheduled time",
                u.prefix(), configured.index()));
        return left.isPresent() ? new DumpRequest(configured.index(), configured.query(), true) : null;
    }

    private boolean requestFileWaiting() {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(settings.requestDir())) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".json"));
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String folderOf(String index) {
        return destination.root() + index.replaceAll("[^A-Za-z0-9._-]", "_") + "/";
    }

    /**
     * Resumes an unfinished dump. While its point in time lives (a crash, a restart within keep-alive), every slice
     * continues right after its checkpointed search_after, on the same snapshot. Once the point in time has expired,
     * positions in index order ({@code _doc}, {@code _shard_doc}) mean nothing on a new one, so:
     * <ul>
     * <li>{@code _id}: continue by _id position on a new point in time;</li>
     * <li>{@code _doc}, {@code _shard_doc}: keep the finished slices' parts, delete every part of the unfinished
     *     slices and read those slices again from their start on a new point in time. A slice is the same set of
     *     documents on every point in time of an unchanged index (partitioned by shard and _id hash), which the
     *     resume checks: the new snapshot must count the same documents in all, and in each finished slice the
     *     documents its parts hold; otherwise it fails loudly and a new dump is needed.</li>
     * </ul>
     */
    private Dump resume(DumpRequest request, String prefix, JsonNode c) {
        boolean shared = c.path("slicesShared").asBoolean();
        if (shared) {
            // the replicas' finished slices count as the dump's own parts from here on
            c = sharedSlices.withFinishedSlices(prefix, (com.fasterxml.jackson.databind.node.ObjectNode) c.deepCopy());
        }
        long atSnapshot = c.path("documentsAtSnapshot").asLong();
        String sort = c.path("sort").asText();
        int slices = c.path("slices").asInt();
        String pit = c.path("pitId").asText(null);
        long count = pit == null ? -1 : reader.count(pit, settings.keepAlive(), request.query());
        boolean renewed = count < 0;
        if (count >= 0) {
            LOG.info("dump {}: its point in time is alive, every slice continues from its checkpoint", prefix);
        } else {
            pit = reader.openPit(request.index(), settings.keepAlive());
            try {
                count = reader.count(pit, settings.keepAlive(), request.query());
                if (count != atSnapshot) {
                    throw new IllegalStateException("cannot resume dump " + prefix + ": its point in time expired and the"
                            + " index changed since it started (" + atSnapshot + " documents then, " + count + " now);"
                            + " start a new dump (resume=false, or delete " + prefix + DumpDestination.CHECKPOINT + ")");
                }
                if (sort.equals("_doc") && !java.util.List.of(slices).equals(
                        java.util.List.copyOf(reader.primaryShards(request.index()).values()))) {
                    throw new IllegalStateException("cannot resume dump " + prefix + ": its point in time expired and "
                            + request.index() + " is no longer one index of " + slices + " shards; start a new dump");
                }
                if (sort.equals("_id")) {
                    LOG.info("dump {}: its point in time expired, resuming on a new one by _id position", prefix);
                } else {
                    c = restartUnfinishedSlices(request, prefix, (com.fasterxml.jackson.databind.node.ObjectNode) c.deepCopy(),
                            pit, slices);
                    if (shared) {
                        sharedSlices.forgetUnfinishedSlices(prefix, c);
                    }
                }
            } catch (RuntimeException e) {
                reader.closePit(pit);
                throw e;
            }
        }
        String dumpId = c.path("dumpId").asText();
        // a dump goes on in the compression it began with (checkpoints from before the setting: gzip); checked before
        // its run begins, so a refusal leaves no run behind that never ends
        PartCompression compression = PartCompression.of(c.path("compression").asText("gzip"));
        if (compression == null) {
            throw new IllegalStateException("cannot resume dump " + prefix + ": its checkpoint names compression '"
                    + c.path("compression").asText() + "', which this Ferry does not know");
        }
        if (compression != settings.compression()) {
            LOG.info("dump {}: resumed with its own compression, {} (the setting is now {})", prefix, compression.id(),
                    settings.compression().id());
        }
        compression.requireAvailable();
        RunAccount run = runs.begin(PIPELINE, request.index() + " -> " + destination.locate(prefix)
                + (shared ? SHARED_SUBJECT : "") + " (resumed)");
        Dump dump = new Dump(dumpId, request.index(), request.query(), sort, slices, prefix,
                Instant.parse(c.path("startedAt").asText()), atSnapshot, pit, run, c, compression, shared, -1,
                shared ? Dump.Cuts.of(c, settings) : Dump.Cuts.of(settings));
        if (renewed) {
            dump.pointInTimeRenewed(Instant.now());
        } else {
            dump.checkpointWritten = true; // the stored checkpoint already names this point in time
        }
        return dump;
    }

    /** The dump folder's parts as listed, and anything unfinished a crash left there ({@link DumpDestination#parts}). */
    List<String> storedParts(Dump dump) {
        return retrying("list " + destination.locate(dump.keyPrefix), dump, () -> destination.parts(dump.keyPrefix));
    }

    /**
     * Removes the parts of {@code stored} (the dump's folder as listed) that its checkpoint does not hold, logging
     * each with {@code why}. On a resume they are read again: they were uploaded after the last checkpoint (their
     * position was never recorded), belong to a slice read again from its start on a new point in time, or were left
     * unfinished by a crash; removing them first means no document lands in two parts. Before a shared dump's
     * manifest they are parts no slice's checkpoint names. Parts the checkpoint holds are kept.
     */
    void removePartsNotInTheCheckpoint(Dump dump, List<String> stored, String why) {
        java.util.Set<String> keep = new java.util.HashSet<>(dump.committedKeys());
        for (String key : stored) {
            if (!keep.contains(key)) {
                retrying("delete " + destination.locate(key), dump, () -> {
                    destination.delete(key);
                    return null;
                });
                LOG.info("dump {}: removed {} ({})", dump.dumpId, key, why);
            }
        }
    }

    /** Drops the unfinished slices' parts and positions from the checkpoint, after checking the finished ones. */
    private JsonNode restartUnfinishedSlices(DumpRequest request, String prefix,
                                             com.fasterxml.jackson.databind.node.ObjectNode c, String pit, int slices) {
        java.util.Set<Integer> done = new java.util.HashSet<>();
        for (JsonNode p : c.path("slicePositions")) {
            if (p.path("done").asBoolean()) {
                done.add(p.path("slice").asInt());
            }
        }
        long[] held = new long[slices];
        for (JsonNode part : c.path("parts")) {
            // the hits its parts account for: written, and dropped or dead-lettered by a transform
            held[part.path("slice").asInt()] += Dump.Totals.of(part).hits();
        }
        for (int slice : done) {
            long now = reader.count(pit, settings.keepAlive(), request.query(), slice, slices);
            if (now != held[slice]) {
                throw new IllegalStateException("cannot resume dump " + prefix + ": its point in time expired and finished"
                        + " slice " + slice + " holds " + held[slice] + " documents but counts " + now + " on a new one;"
                        + " start a new dump");
            }
        }
        com.fasterxml.jackson.databind.node.ArrayNode kept = DumpStore.mapper().createArrayNode();
        Dump.Totals totals = Dump.Totals.NONE;
        for (JsonNode part : c.path("parts")) {
            if (done.contains(part.path("slice").asInt())) {
                kept.add(part);
                totals = totals.plus(part);
            }
        }
        c.set("parts", kept);
        totals.setIn(c);
        for (JsonNode p : c.path("slicePositions")) {
            if (!p.path("done").asBoolean()) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) p).putNull("searchAfter");
            }
        }
        LOG.info("dump {}: its point in time expired; finished slices {} kept ({} documents), the other slices are read"
                + " again from their start on a new point in time", prefix, done, totals.documents());
        return c;
    }

    /** The slices still to read. */
    public List<Dump.SliceJob> slices(Dump dump) {
        return dump.pendingSlices();
    }

    /**
     * Read pages, write parts: reads one slice of the snapshot from its committed position and cuts it into
     * spooled parts by document count and size. The split over it asks for the next part only when an upload
     * thread is free, so at most slices + uploads-in-flight parts exist at once.
     */
    public Iterator<Dump.PartJob> parts(Dump.SliceJob job) {
        return new PartIterator(job.dump(), job.slice());
    }

    /** Upload: one spooled part to the destination (redelivered by the shared error handling when it fails). */
    public void upload(Dump.PartJob job, Exchange exchange) {
        Dump dump = job.dump();
        if (dump.failed) {
            throw new IllegalStateException("dump " + dump.dumpId + " has failed; part not uploaded");
        }
        dump.enter();
        try {
            destination.putPart(job.key(), job.part());
            if (job.deadLetters() != null) {
                destination.putPart(job.deadLettersKey(), job.deadLetters());
            }
        } catch (RuntimeException e) {
            failsTheDumpOnTheLastAttempt(dump, exchange, e);
            throw e;
        } finally {
            dump.exit();
        }
    }

    /**
     * When the upload route has no redelivery left, the dump fails: the slices stop reading parts that could not be
     * uploaded (they would only pile up on the spool while the failure travels up the splits).
     */
    private void failsTheDumpOnTheLastAttempt(Dump dump, Exchange exchange, RuntimeException e) {
        Integer redelivery = exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
        if ((redelivery == null ? 0 : redelivery) >= backoff.maxRetries()) {
            dump.markFailed(e);
        }
    }

    /** Commit: counts the part's documents as written and moves its slice's committed position. */
    public void commit(Dump.PartJob job) {
        PartWriter.deleteSpool(job.part().file());
        if (job.deadLetters() != null) {
            PartWriter.deleteSpool(job.deadLetters().file());
        }
        job.dump().run.written(job.part().documents());
        job.dump().run.filtered(job.filtered());
        job.dump().run.deadLettered(job.deadLettered());
        job.dump().uploaded(job);
    }

    /** Checkpoint: rewrites checkpoint.json with what is committed (idempotent, so it can be redelivered). */
    public void checkpoint(Dump.PartJob job, Exchange exchange) {
        Dump dump = job.dump();
        synchronized (dump) {
            // a part uploaded while the dump was failing is still recorded, until failed() has closed the dump
            if (!dump.released) {
                JsonNode c = dump.checkpoint();
                try {
                    storeCheckpoint(dump, c);
                } catch (RuntimeException e) {
                    failsTheDumpOnTheLastAttempt(dump, exchange, e);
                    throw e;
                }
                dump.checkpointed(c);
            }
        }
    }

    /** checkpoint.json; or, for one replica's slice of a shared dump, that slice's own checkpoint. */
    private void storeCheckpoint(Dump dump, JsonNode c) {
        if (dump.onlySlice >= 0) {
            destination.writeJson(dump.keyPrefix + DumpDestination.sliceCheckpoint(dump.onlySlice), c);
        } else {
            destination.writeCheckpoint(dump.keyPrefix, c);
        }
    }

    void writeCheckpoint(Dump dump) {
        retrying("write the checkpoint of dump " + dump.dumpId, dump, () -> {
            synchronized (dump) {
                JsonNode c = dump.checkpoint();
                storeCheckpoint(dump, c);
                dump.checkpointed(c);
            }
            return null;
        });
        dump.checkpointWritten = true;
    }

    /**
     * A request to the destination the dump makes outside the upload route (checkpoint at the start, manifest,
     * clean-up), retried with the shared backoff when it fails in a way that may pass; the last failure is thrown.
     */
    <T> T retrying(String what, Dump dump, java.util.function.Supplier<T> request) {
        for (int retry = 1; ; retry++) {
            try {
                return request.get();
            } catch (DumpDestination.Failure e) {
                if (!e.retryable() || retry > backoff.maxRetries()) {
                    throw e;
                }
                long delay = backoff.delayMs(retry);
                LOG.warn("dump {}: could not {} ({}); again in {} ms (retry {} of {})", dump.dumpId, what, e.getMessage(),
                        delay, retry, backoff.maxRetries());
                dump.run.retried(1);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /**
     * Manifest: only when every slice is read and uploaded and the documents dumped equal the snapshot's count.
     * Then releases the point in time and closes the run (which must balance: read = written).
     */
    public RunAccount complete(Dump dump) {
        if (!dump.allSlicesDone()) {
            throw new IllegalStateException("dump " + dump.dumpId + " ended with slices not fully uploaded");
        }
        if (dump.hitsAccounted() != dump.documentsAtSnapshot) {
            throw new IllegalStateException("dump " + dump.dumpId + " holds " + dump.documentsDumped()
                    + " documents (and " + dump.committedFiltered.get() + " filtered, " + dump.committedDeadLettered.get()
                    + " dead-lettered by the transform) but the snapshot counted " + dump.documentsAtSnapshot);
        }
        if (dump.shared) {
            sharedSlices.checkPartsStored(dump);
        }
        retrying("write the manifest", dump, () -> {
            destination.writeManifest(dump.keyPrefix, dump.manifest(Instant.now()));
            return null;
        });
        if (dump.shared) {
            sharedSlices.deleteSliceCheckpoints(dump);
            sharedSlices.removeSpoolOfEndedReadings(dump.dumpId);
        }
        synchronized (dump) {
            dump.released = true; // no checkpoint after the manifest
        }
        try {
            retrying("delete the checkpoint", dump, () -> {
                destination.deleteCheckpoint(dump.keyPrefix);
                return null;
            });
        } catch (RuntimeException e) {
            // the manifest is there, so the dump is complete and never resumed: the checkpoint is only clutter
            LOG.warn("dump {} is complete but its checkpoint could not be deleted: {}", dump.dumpId, e.getMessage());
        }
        release(dump);
        closePit(dump);
        RunAccount run = runs.finish(dump.run);
        LOG.info("dump {} of {} complete: {} documents in {}", dump.dumpId, dump.index, dump.documentsDumped(),
                destination.locate(dump.keyPrefix + DumpDestination.MANIFEST));
        return run;
    }

    /**
     * A failed dump: no manifest, and the run failed with the reason and where the dump stopped. Its checkpoint, its
     * parts and its point in time are kept (the point in time until its keep-alive runs out), so the next dump of
     * the index continues where this one stopped instead of starting over. Waits (bounded) until its other slices
     * and uploads have stopped, so a resume never races a late upload of this one.
     */
    public RunAccount failed(Exchange exchange) {
        Exception cause = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = reason(cause);
        Dump dump = exchange.getProperty(DUMP_PROPERTY, Dump.class);
        if (dump == null) {
            RunAccount run = runs.begin(PIPELINE, "dump request");
            LOG.error("dump could not start: {}", reason);
            return runs.fail(run, "could not start: " + reason);
        }
        if (dump.firstCause() != null) {
            reason = reason(dump.firstCause()); // not a slice that stopped only because another one failed
        }
        stopAndRelease(dump);
        String where;
        if (dump.checkpointWritten) {
            where = "stopped with " + dump.checkpointedParts() + " parts holding " + dump.checkpointedDocuments() + " of "
                    + dump.documentsAtSnapshot + " documents in " + destination.locate(dump.keyPrefix)
                    + " (checkpoint.json); the point in time is kept until its keep-alive (" + settings.keepAlive()
                    + ") runs out, and the next dump of " + dump.index + " resumes from the checkpoint";
        } else {
            closePit(dump); // no checkpoint names it: nothing can resume it
            where = dump.resumed ? "its checkpoint is unchanged; the next dump of " + dump.index + " resumes from it"
                    : "failed before its first checkpoint; the next dump of " + dump.index + " starts over";
        }
        return runs.fail(dump.run, reason + " (no manifest written; " + where + ")");
    }

    /**
     * Stops a failed dump, or one replica's reading of a slice, and releases it: no more parts are read or uploaded;
     * waits until the reads and uploads under way have ended (bounded by one request's timeout and the longest
     * backoff between its retries; a warning when they have not), so a resume never races a late upload; then no
     * checkpoint is written any more, and its claim and spool go.
     */
    void stopAndRelease(Dump dump) {
        long idleBoundMs = settings.requestTimeoutSeconds() * 1000L + backoff.maxDelayMs() + 30_000;
        dump.markFailed();
        try {
            if (!dump.awaitIdle(idleBoundMs)) {
                LOG.warn("dump {}{}: reads or uploads still running {} ms after it failed", dump.dumpId,
                        dump.onlySlice < 0 ? "" : " slice " + dump.onlySlice, idleBoundMs);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        release(dump);
    }

    /**
     * The cause as {@code Type: message}, past Camel's wrappers of a failed split ("Parallel processing failed for
     * number 2"), so the run names what failed and where (host, key) rather than which split item.
     */
    static String reason(Throwable cause) {
        if (cause == null) {
            return "unknown failure";
        }
        Throwable t = cause;
        while ((t instanceof org.apache.camel.CamelExchangeException || t instanceof org.apache.camel.CamelExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? SnapshotReader.describe(t) : t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    /** No checkpoint is written for the dump (or slice reading) any more; its claim, progress and spool go. */
    void release(Dump dump) {
        synchronized (dump) {
            dump.released = true;
        }
        String folder = folderOf(dump);
        if (active.remove(folder, dump)) {
            claimed.remove(folder);
        }
        if (dump.onlySlice < 0) {
            progress.ended(dump); // (a slice read here is not in the progress: the dump's leader shows it)
        }
        deleteSpool(name -> name.startsWith(dump.spoolName() + "-")); // what this dump or slice reading spooled
    }

    private static String folderOf(Dump dump) {
        String p = dump.keyPrefix.substring(0, dump.keyPrefix.length() - 1);
        return p.substring(0, p.lastIndexOf('/') + 1);
    }

    private void closePit(Dump dump) {
        String pit = dump.pitId;
        if (pit != null) {
            try {
                reader.closePit(pit);
            } catch (RuntimeException e) {
                LOG.warn("dump {}: could not release its point in time ({}); it expires after {}", dump.dumpId,
                        e.getMessage(), settings.keepAlive());
            }
        }
    }

    /** Deletes the spool files whose file names match. */
    void deleteSpool(java.util.function.Predicate<String> fileName) {
        try (Stream<Path> files = Files.list(settings.spoolDir())) {
            files.filter(f -> fileName.test(f.getFileName().toString())).forEach(PartWriter::deleteSpool);
        } catch (IOException ignored) {
            // no spool directory (yet): nothing spooled
        }
    }

    /** Progress of the running dumps in the log (the timer route calls it at a steady interval). */
    public void logProgress() {
        progress.log();
    }

    private static JsonNode readTree(String json) {
        try {
            return DumpStore.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("query is not JSON: " + e.getMessage());
        }
    }

    /** Reads one slice hit by hit into parts; closes its cursor and any unfinished part when closed. */
    private final class PartIterator implements Iterator<Dump.PartJob>, Closeable {
        private final Dump dump;
        private final int slice;
        private HitCursor cursor;
        private PartWriter writer;
        private Dump.PartJob next;
        private boolean finished;
        // with a transform: the hits of the part so far that were dropped or dead-lettered, its dead-letter file,
        // the sort values of its last hit, whether the slice's hits are all read, and the hits read (their numbers)
        private long partFiltered;
        private long partDeadLettered;
        private PartWriter deadLetters;
        private byte[] partLastSort;
        private boolean exhausted;
        private long hits;

        PartIterator(Dump dump, int slice) {
            this.dump = dump;
            this.slice = slice;
        }

        @Override
        public boolean hasNext() {
            if (next == null && !finished) {
                next = readPart();
                if (next == null) {
                    finished = true;
                    close();
                    dump.readerFinished(slice);
                }
            }
            return next != null;
        }

        @Override
        public Dump.PartJob next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Dump.PartJob job = next;
            next = null;
            return job;
        }

        private Dump.PartJob readPart() {
            if (dump.failed) {
                throw new IllegalStateException("dump " + dump.dumpId + " has failed; slice " + slice + " stops reading");
            }
            dump.enter();
            try {
                return readPartFromCursor();
            } catch (RuntimeException e) {
                dump.markFailed(e); // the dump fails as a whole: the other slices stop at their next part
                throw e;
            } finally {
                dump.exit();
            }
        }

        private Dump.PartJob readPartFromCursor() {
            if (cursor == null) {
                cursor = reader.cursor(dump.pitId, settings.keepAlive(), dump.query, dump.sort, slice, dump.slices,
                        dump.committedSort(slice), dump.cuts.pageSize(), this::awaitRetry);
            }
            if (dump.transform != null) {
                return readTransformedPart();
            }
            while (cursor.next()) {
                dump.pitId = cursor.pitId();
                if (writer == null) {
                    writer = new PartWriter(settings.spoolDir(), dump.spoolName(), dump.allocatePart(), slice,
                            dump.compression, dump.cuts.compressionLevel());
                }
                writer.lineWritten(cursor.writeLine(writer.lines()));
                progress.read(dump, 1);
                if (writer.documents() >= dump.cuts.partMaxDocs() || writer.uncompressedBytes() >= dump.cuts.partMaxBytes()) {
                    return finishPart();
                }
            }
            return writer == null ? null : finishPart();
        }

        /**
         * With a transform: hits are read a page's worth at a time into a batch, the transform route runs on it, and
         * what it keeps is written into the part. A part is cut between batches, when its hits (written, dropped or
         * dead-lettered) reach part-max-docs or its bytes part-max-bytes, so its last sort values are those of the
         * last hit of a batch: a resume starts after a batch fully accounted for.
         */
        private Dump.PartJob readTransformedPart() {
            int size = dump.cuts.pageSize();
            while (!exhausted) {
                List<IndexDoc> docs = new ArrayList<>(size);
                byte[] lastSort = null;
                while (docs.size() < size) {
                    if (!cursor.next()) {
                        exhausted = true;
                        break;
                    }
                    dump.pitId = cursor.pitId();
                    docs.add(cursor.takeDoc(++hits));
                    lastSort = cursor.sort();
                }
                if (docs.isEmpty()) {
                    break;
                }
                if (writer == null) {
                    writer = new PartWriter(settings.spoolDir(), dump.spoolName(), dump.allocatePart(), slice,
                            dump.compression, dump.cuts.compressionLevel());
                }
                int read = docs.size();
                DumpBatch batch = new DumpBatch(docs, dump, this::deadLetterFile);
                dump.transform.apply(batch, dump);
                if (batch.records().size() + batch.filteredCount() + batch.deadLetteredCount() != read) {
                    throw new IllegalStateException("the transform route (direct:opensearch-to-s3-transform) lost records: "
                            + read + " read, " + batch.records().size() + " kept, " + batch.filteredCount() + " filtered, "
                            + batch.deadLetteredCount() + " dead-lettered (to drop records, use ferry-records:drop)");
                }
                for (IndexDoc doc : batch.records()) {
                    writer.lineWritten(HitCursor.writeLine(doc, writer.lines()));
                }
                partFiltered += batch.filteredCount();
                partDeadLettered += batch.deadLetteredCount();
                partLastSort = lastSort;
                progress.read(dump, read);
                if (writer.documents() + partFiltered + partDeadLettered >= dump.cuts.partMaxDocs()
                        || writer.uncompressedBytes() >= dump.cuts.partMaxBytes()) {
                    return finishPart();
                }
            }
            return writer == null ? null : finishPart();
        }

        private PartWriter deadLetterFile() {
            if (deadLetters == null) {
                // the part's writer exists: a batch is transformed only once its part is open. Dead letters stay gzip
                // whatever the parts are: they are for people and their tools.
                deadLetters = new PartWriter(settings.spoolDir(), dump.spoolName() + "-dead-letters", writer.number(), slice,
                        PartCompression.GZIP, dump.cuts.compressionLevel());
            }
            return deadLetters;
        }

        /** A page failed in a way that may pass: wait the backoff and fetch it again, unless the budget is spent. */
        private boolean awaitRetry(int retry, SnapshotReader.OpenSearchReadException failure) {
            if (dump.failed || retry > backoff.maxRetries()) {
                return false;
            }
            long delay = backoff.delayMs(retry);
            LOG.warn("dump {} slice {}: {}; the page is fetched again in {} ms (retry {} of {})", dump.dumpId, slice,
                    failure.getMessage(), delay, retry, backoff.maxRetries());
            dump.run.retried(1);
            if (failure.throttled()) {
                dump.run.throttled(1);
            }
            try {
                return !dump.failsWithin(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        private Dump.PartJob finishPart() {
            byte[] lastSort = dump.transform != null ? partLastSort : cursor.sort();
            SpooledPart part = writer.finish(lastSort);
            SpooledPart dead = deadLetters == null ? null : deadLetters.finish(lastSort);
            long filtered = partFiltered;
            long deadLettered = partDeadLettered;
            writer = null;
            deadLetters = null;
            partFiltered = 0;
            partDeadLettered = 0;
            dump.run.read(part.documents() + filtered + deadLettered);
            return dump.spooled(part, filtered, deadLettered, dead);
        }

        @Override
        public void close() {
            if (cursor != null) {
                cursor.close();
            }
            if (writer != null) {
                dump.run.read(writer.documents() + partFiltered + partDeadLettered);
                writer.close();
                writer = null;
            }
            if (deadLetters != null) {
                deadLetters.close();
                deadLetters = null;
            }
        }
    }

    static String utf8(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
