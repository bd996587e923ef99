package dev.ferry.dirsync;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.config.S3Faults;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * The steps of routes/dir-to-s3.camel.yaml (bean {@code dirToS3Sync}): plan a sync (walk the source, read the listing
 * and the state), examine each file that may have changed, record what each upload did, plan and count the deletes,
 * and close the run. Accounting: every file seen is uploaded (written), unchanged (duplicate), filtered (excluded, a
 * directory symlink, a special file, or only planned in a dry run) or failed (dead-lettered, with its reason).
 */
public final class DirSync {

    public static final String PIPELINE = "dir-to-s3";
    /** The sync under way, on the exchange and on every split of it. */
    public static final String SYNC_PROPERTY = "ferryDirSync";
    public static final String FILE_PROPERTY = "ferryDirSyncFile";
    public static final String ACTION_HEADER = "FerryDirSyncAction";
    public static final String SHA256_METADATA = "ferry-sha256";

    private static final Logger LOG = LoggerFactory.getLogger(DirSync.class);
    private static final long SAVE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int SAVE_EVERY_FILES = 500;
    private static final int FAILURES_IN_REASON = 20;
    /** S3's longest object key, in UTF-8 bytes. */
    static final int MAX_KEY_BYTES = 1024;

    private final DirToS3Settings settings;
    private final S3Client s3;
    private final Runs runs;
    private final MultipartFileUpload multipart;
    private final DirToS3Metrics metrics;
    private final AtomicReference<Sync> active = new AtomicReference<>();
    // one sync at a time: a trigger that fires while one runs (the schedule during a watch sync) waits for its end
    private final Semaphore oneSync = new Semaphore(1, true);
    private volatile Sync last;

    DirSync(DirToS3Settings settings, S3Client s3, Runs runs, DirToS3Metrics metrics) {
        this.settings = settings;
        this.s3 = s3;
        this.runs = runs;
        this.metrics = metrics;
        this.multipart = new MultipartFileUpload(s3, settings.multipartPartBytes());
    }

    /** One sync: its run, what it found and what it did. Read by tests and by the progress line. */
    public final class Sync {
        final RunAccount run;
        final Path source;
        SyncState state;
        Map<String, PrefixListing.Remote> remote = Map.of(); // the listing: about 150 bytes of heap per object
        final Set<String> mirrored = new HashSet<>(); // relative paths that passed the filters (deletes keep their keys)
        List<SyncFile> candidates = List.of();
        List<String> deletes = List.of();
        boolean walkFailed;
        long toExamine;
        final AtomicLong examined = new AtomicLong();
        final AtomicLong uploaded = new AtomicLong();
        final AtomicLong uploadedBytes = new AtomicLong();
        final AtomicLong wouldUpload = new AtomicLong();
        final AtomicLong wouldUploadBytes = new AtomicLong();
        final AtomicLong deleted = new AtomicLong();
        final AtomicLong deleteRequests = new AtomicLong();
        final AtomicLong heads = new AtomicLong();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final ConcurrentLinkedQueue<String> deleteFailures = new ConcurrentLinkedQueue<>();
        private final AtomicInteger sinceSave = new AtomicInteger();
        private volatile long lastSave = System.nanoTime();
        /** Why a save during the sync failed (a full disk): the sync goes on, and the save at its end decides. */
        private volatile String saveFailed;

        Sync(RunAccount run, Path source) {
            this.run = run;
            this.source = source;
        }

        public RunAccount run() { return run; }
        public long uploaded() { return uploaded.get(); }
        public long uploadedBytes() { return uploadedBytes.get(); }
        public long wouldUpload() { return wouldUpload.get(); }
        public long wouldUploadBytes() { return wouldUploadBytes.get(); }
        public long deleted() { return deleted.get(); }
        /** DeleteObjects requests made: one per delete-batch keys. */
        public long deleteRequests() { return deleteRequests.get(); }
        /** HEAD requests made: one per object that the state does not know and that might equal its file. */
        public long heads() { return heads.get(); }
        public List<String> plannedDeletes() { return deletes; }
        /** "path: reason" for each failed file. */
        public List<String> failures() { return List.copyOf(failures); }
        /** "could not delete s3://...: reason" for each key S3 did not delete. */
        public List<String> deleteFailures() { return List.copyOf(deleteFailures); }

        void failed(String what) {
            failures.add(what);
            run.deadLettered(1);
            LOG.warn("dir-to-s3 file failed: {}", what);
        }

        /** Saves the state now and then during a long sync, so a crash costs at most a few re-hashes. */
        void maybeSave() {
            if (settings.dryRun()) {
                return;
            }
            if (sinceSave.incrementAndGet() >= SAVE_EVERY_FILES || System.nanoTime() - lastSave > SAVE_EVERY_NANOS) {
                synchronized (this) {
                    if (sinceSave.get() > 0) {
                        sinceSave.set(0);
                        lastSave = System.nanoTime();
                        try {
                            state.save();
                        } catch (UncheckedIOException e) {
                            // Not the file's fault, and its upload went through: retrying the file would count it
                            // twice. The uploads go on (the bucket still gets every file); the state's save at the
                            // sync's end fails the run if the disk is still full.
                            if (saveFailed == null) {
                                LOG.error("dir-to-s3: {}; uploads go on, the sync fails at its end unless the state"
                                        + " can be saved then", e.getMessage());
                            }
                            saveFailed = e.getMessage();
                        }
                    }
                }
            }
        }
    }

    /** The last sync that ended (or the one under way), for tests and for the one-shot exit. */
    public Sync last() {
        return last;
    }

    // ------------------------------------------------------------------------------------------------- plan

    /**
     * Plans a sync: starts the run, walks the source, lists the target once, loads the state, counts the files whose
     * state and listing agree as unchanged, and checks the delete guards before anything changes. The body becomes
     * the files to examine.
     */
    public List<SyncFile> begin(Exchange exchange) throws IOException, InterruptedException {
        if (!oneSync.tryAcquire()) {
            Sync running = active.get();
            LOG.info("dir-to-s3: a sync is running{}; this one starts when it ends",
                    running == null ? "" : " (run " + running.run.runId() + ")");
            oneSync.acquire();
        }
        RunAccount run;
        try {
            run = runs.begin(PIPELINE, settings.sourceDir() + " -> s3://" + settings.bucket() + "/" + settings.prefix());
        } catch (RuntimeException e) {
            oneSync.release();
            throw e;
        }
        exchange.setProperty(RetryCounter.RUN_PROPERTY, run);
        Sync sync = new Sync(run, settings.sourceDir());
        exchange.setProperty(SYNC_PROPERTY, sync);
        active.set(sync); // complete() or failed() ends it and lets the next sync in
        last = sync;
        Path source = settings.sourceDir();
        if (!Files.isDirectory(source)) {
            throw new SyncRefusedException("source directory " + source.toAbsolutePath() + " is missing or not a directory"
                    + (settings.delete() ? ": nothing deleted" : "") + " (" + DirToS3Settings.PREFIX + "source-dir)");
        }
        sync.state = SyncState.load(settings.stateDir(), settings.bucket(), settings.prefix(), source);
        PrefixListing listing = new PrefixListing(s3, settings.bucket(), settings.prefix(), settings.parallelUploads());
        // The last sync's state says how the prefix looked (its files and folders), so the listing can run beside the
        // walk; a first sync lists after it, by the tree it walked.
        PrefixListing.Pending early = sync.state.size() == 0 ? null
                : listing.start(PrefixListing.firstLevelFolders(sync.state.relPaths()), sync.state.size());
        List<SyncFile> files;
        PrefixListing.Listed listed;
        try {
            files = walk(sync, source.toRealPath());
            if (files.isEmpty() && sync.mirrored.isEmpty() && settings.delete()) {
                throw new SyncRefusedException("source directory " + source.toAbsolutePath() + " has no file to mirror:"
                        + " refusing to delete with an empty source (mis-mounted?); nothing deleted");
            }
            listed = early != null ? early.await()
                    : listing.list(PrefixListing.firstLevelFolders(files.stream().map(SyncFile::getRelPath).toList()),
                    files.size());
        } finally {
            if (early != null) {
                early.cancel(); // after the walk failed or refused; nothing once it has ended
            }
        }
        sync.remote = listed.objects();
        sync.deletes = plannedDeletes(sync);
        if (settings.delete() && !sync.deletes.isEmpty()) {
            if (sync.walkFailed) {
                throw new SyncRefusedException("parts of " + source.toAbsolutePath() + " could not be read ("
                        + String.join("; ", sync.failures) + "): refusing to delete " + sync.deletes.size()
                        + " object(s) that may still exist there; nothing changed");
            }
            if (sync.deletes.size() > settings.maxDelete()) {
                throw new SyncRefusedException("would delete " + sync.deletes.size() + " object(s) under s3://"
                        + settings.bucket() + "/" + settings.prefix() + ", more than " + DirToS3Settings.PREFIX
                        + "max-delete=" + settings.maxDelete() + ": refusing (raise it if intended); nothing changed");
            }
        }
        List<SyncFile> candidates = new ArrayList<>();
        long unchanged = 0;
        long bytes = 0;
        for (SyncFile f : files) {
            SyncState.Entry known = sync.state.get(f.getRelPath());
            PrefixListing.Remote r = sync.remote.get(f.getKey());
            if (known != null && known.sameStamp(f.getSize(), f.getMtimeNanos(), f.getCtimeNanos())
                    && r != null && r.size() == f.getSize() && r.etag().equals(known.etag())) {
                unchanged++; // nothing moved on either side since the last upload
            } else {
                candidates.add(f);
                bytes += f.getSize();
            }
        }
        run.duplicate(unchanged);
        sync.candidates = candidates;
        sync.toExamine = candidates.size();
        LOG.info("dir-to-s3 plan{}: {} file(s) seen in {}, {} filtered, {} failed, {} unchanged (state and listing agree),"
                        + " {} to examine ({} bytes); {} object(s) in s3://{}/{} ({}); {}",
                settings.dryRun() ? " (dry run)" : "", run.read(), source, run.filtered(), sync.failures.size(), unchanged,
                candidates.size(), bytes, sync.remote.size(), settings.bucket(), settings.prefix(), listed.how(),
                settings.delete() ? sync.deletes.size() + " to delete" : "deletes off");
        return candidates;
    }

    private List<SyncFile> walk(Sync sync, Path root) throws IOException {
        Predicate<String> included = matcher(settings.include(), true);
        Predicate<String> excluded = matcher(settings.exclude(), false);
        List<SyncFile> files = new ArrayList<>();
        RunAccount run = sync.run;
        Files.walkFileTree(root, EnumSet.noneOf(java.nio.file.FileVisitOption.class), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        if (attrs.isDirectory()) {
                            return FileVisitResult.CONTINUE;
                        }
                        run.read(1);
                        String rel = relative(root, file);
                        if (!included.test(rel) || excluded.test(rel)) {
                            run.filtered(1);
                            return FileVisitResult.CONTINUE;
                        }
                        BasicFileAttributes target = attrs;
                        if (attrs.isSymbolicLink()) {
                            try { // a file symlink is followed: its target's content is uploaded under the link's name
                                target = Files.readAttributes(file, BasicFileAttributes.class);
                            } catch (IOException e) {
                                sync.mirrored.add(rel);
                                sync.failed("cannot read " + file + ": broken symbolic link");
                                return FileVisitResult.CONTINUE;
                            }
                            if (target.isDirectory()) { // never followed: no loops, no tree mirrored twice
                                LOG.info("dir-to-s3: {} is a symbolic link to a directory, not followed (filtered)", file);
                                run.filtered(1);
                                return FileVisitResult.CONTINUE;
                            }
                        }
                        if (!target.isRegularFile()) {
                            run.filtered(1); // a socket, a pipe, a device
                            return FileVisitResult.CONTINUE;
                        }
                        sync.mirrored.add(rel);
                        String key = settings.prefix() + rel;
                        int keyBytes = key.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
                        if (keyBytes > MAX_KEY_BYTES) {
                            sync.failed("cannot upload " + file + ": its key is " + keyBytes + " bytes (UTF-8), longer"
                                    + " than S3's limit of " + MAX_KEY_BYTES + " (shorten the path or the prefix)");
                            return FileVisitResult.CONTINUE;
                        }
                        files.add(new SyncFile(rel, file, key, target.size(),
                                target.lastModifiedTime().to(TimeUnit.NANOSECONDS), ctimeNanos(file)));
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        run.read(1);
                        sync.walkFailed = true;
                        sync.failed("cannot read " + file + ": " + reason(e));
                        return FileVisitResult.CONTINUE;
                    }
                });
        return files;
    }

    /** A glob with a '/' matches the path under the source, one without matches the file name (like *.tmp). */
    private static Predicate<String> matcher(List<String> globs, boolean whenNone) {
        if (globs.isEmpty()) {
            return rel -> whenNone;
        }
        List<Predicate<String>> each = new ArrayList<>();
        for (String glob : globs) {
            PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
            each.add(glob.contains("/") ? rel -> m.matches(Path.of(rel))
                    : rel -> m.matches(Path.of(rel.substring(rel.lastIndexOf('/') + 1))));
        }
        return rel -> each.stream().anyMatch(p -> p.test(rel));
    }

    private static String relative(Path root, Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private List<String> plannedDeletes(Sync sync) {
        Predicate<String> included = matcher(settings.include(), true);
        Predicate<String> excluded = matcher(settings.exclude(), false);
        List<String> keys = new ArrayList<>();
        for (String key : sync.remote.keySet()) {
            String rel = key.substring(settings.prefix().length());
            // an excluded path is out of the sync's reach: its object stays, as with rclone without --delete-excluded
            if (!rel.isEmpty() && !rel.endsWith("/") && !sync.mirrored.contains(rel) && included.test(rel)
                    && !excluded.test(rel)) {
                keys.add(key);
            }
        }
        Collections.sort(keys);
        return keys;
    }

    // ------------------------------------------------------------------------------------------------- per file

    /**
     * Decides what one file needs: re-hashes it only when its size, modification or change time moved since the state's
     * entry; then unchanged when the object's content is known equal (state and ETag, or the object's ferry-sha256,
     * or a single-part ETag equal to the file's MD5), else an upload (multipart above the threshold) or, in a dry
     * run, only its count.
     */
    public void examine(Exchange exchange) throws UnreadableFileException {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        // a redelivery finds the file on the exchange (the body was the java.io.File of the put)
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        if (f == null) {
            f = exchange.getMessage().getBody(SyncFile.class);
            exchange.setProperty(FILE_PROPERTY, f);
        }
        BasicFileAttributes attrs = attributes(f);
        long size = attrs.size();
        long mtime = attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        long ctime = ctimeNanos(f.getPath());
        SyncState.Entry known = sync.state.get(f.getRelPath());
        String sha = known != null && known.sameStamp(size, mtime, ctime) ? known.sha256() : hash(f, "SHA-256");
        f.examined(size, mtime, ctime, sha);
        PrefixListing.Remote r = sync.remote.get(f.getKey());
        String action = null;
        String etag = null;
        if (r != null && r.size() == size) {
            if (known != null && r.etag().equals(known.etag())) {
                // the object is the one Ferry uploaded: equal exactly when the content is
                action = known.sha256().equals(sha) ? "unchanged" : null;
                etag = r.etag();
            } else {
                etag = r.etag();
                action = sha.equals(remoteSha256(sync, f.getKey())) ? "unchanged" : null;
                if (action == null && etag.matches("[0-9a-f]{32}") && etag.equals(hash(f, "MD5"))) {
                    action = "unchanged"; // written by another tool in one put: its ETag is the content's MD5
                }
            }
        }
        if (action == null) {
            action = settings.dryRun() ? "would-upload" : size >= settings.multipartThreshold() ? "upload-multipart" : "upload";
        } else {
            exchange.getMessage().setHeader("CamelAwsS3ETag", etag);
        }
        sync.examined.incrementAndGet();
        exchange.getMessage().setHeader(ACTION_HEADER, action);
    }

    private String remoteSha256(Sync sync, String key) {
        sync.heads.incrementAndGet();
        try {
            return s3.headObject(b -> b.bucket(settings.bucket()).key(key)).metadata().get(SHA256_METADATA);
        } catch (NoSuchKeyException e) {
            return null; // deleted since the listing
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw e;
        }
    }

    /** The message becomes the file for the aws2-s3 put: key, content type and the ferry-sha256 metadata. */
    public void prepareUpload(Exchange exchange) {
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        exchange.getMessage().setBody(f.getPath().toFile());
        exchange.getMessage().setHeader("CamelAwsS3Key", f.getKey());
        exchange.getMessage().setHeader("CamelAwsS3ContentType", ContentTypes.of(f.getRelPath()));
        exchange.getMessage().setHeader("CamelAwsS3ContentLength", f.getSize());
        exchange.getMessage().setHeader("CamelAwsS3Metadata", Map.of(SHA256_METADATA, f.getSha256()));
    }

    /** A file at or above the multipart threshold: see {@link MultipartFileUpload} for why not the component. */
    public void uploadMultipart(Exchange exchange) {
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        String etag = multipart.upload(f, settings.bucket(), ContentTypes.of(f.getRelPath()),
                Map.of(SHA256_METADATA, f.getSha256()));
        exchange.getMessage().setHeader("CamelAwsS3ETag", etag);
    }

    /**
     * After the put: the file must still be as it was hashed (size and modification time), else the object may hold
     * a mix of old and new bytes and the upload is done again (redelivered by the route). Then its state entry.
     */
    public void uploaded(Exchange exchange) throws FileChangedDuringUploadException, UnreadableFileException {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        BasicFileAttributes now = attributes(f);
        if (now.size() != f.getSize() || now.lastModifiedTime().to(TimeUnit.NANOSECONDS) != f.getMtimeNanos()
                || ctimeNanos(f.getPath()) != f.getCtimeNanos()) {
            throw new FileChangedDuringUploadException(f.getPath() + " changed while it was being uploaded (size "
                    + f.getSize() + " -> " + now.size() + ")");
        }
        String etag = unquote(exchange.getMessage().getHeader("CamelAwsS3ETag", String.class));
        sync.state.put(f.getRelPath(), new SyncState.Entry(f.getSize(), f.getMtimeNanos(), f.getCtimeNanos(),
                f.getSha256(), etag));
        sync.uploaded.incrementAndGet();
        sync.uploadedBytes.addAndGet(f.getSize());
        metrics.uploadedBytes(f.getSize());
        sync.run.written(1);
        sync.maybeSave();
        exchange.getMessage().setBody(f);
    }

    /** The object already holds this content: the state learns it (no HEAD for it next time). */
    public void unchanged(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        String etag = exchange.getMessage().getHeader("CamelAwsS3ETag", String.class);
        sync.state.put(f.getRelPath(), new SyncState.Entry(f.getSize(), f.getMtimeNanos(), f.getCtimeNanos(),
                f.getSha256(), etag));
        sync.run.duplicate(1);
        sync.maybeSave();
    }

    /** Dry run: the upload is counted in the plan (filtered: nothing is written), and not done. */
    public void wouldUpload(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        sync.wouldUpload.incrementAndGet();
        sync.wouldUploadBytes.addAndGet(f.getSize());
        sync.run.filtered(1);
        LOG.info("dir-to-s3 dry run: would upload {} ({} bytes) to {}", f.getRelPath(), f.getSize(), f.getKey());
    }

    /** A file that could not be read, or kept changing through every upload attempt: failed, with the reason. */
    public void fileFailed(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        SyncFile f = exchange.getProperty(FILE_PROPERTY, SyncFile.class);
        String reason = e instanceof FileChangedDuringUploadException ? e.getMessage() + ", on every attempt"
                : e instanceof UnreadableFileException ? e.getMessage()
                : e instanceof S3Exception s3e && f != null ? f.getPath() + ": S3 refused s3://" + settings.bucket() + "/"
                        + f.getKey() + " (" + s3Refusal(s3e) + ")"
                : (f == null ? "" : f.getPath() + ": ") + e;
        sync.failed(reason);
    }

    // ------------------------------------------------------------------------------------------------- deletes and end

    /**
     * The keys to delete, in groups of delete-batch (one DeleteObjects request each): only with delete=true, not in a
     * dry run, and only when every file went up.
     */
    public List<List<String>> deletions(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        if (!settings.delete() || sync.deletes.isEmpty()) {
            return List.of();
        }
        if (settings.dryRun()) {
            sync.deletes.forEach(k -> LOG.info("dir-to-s3 dry run: would delete {}", k));
            return List.of();
        }
        if (!sync.failures.isEmpty()) {
            LOG.warn("dir-to-s3: {} delete(s) skipped because {} file(s) failed; the next sync deletes them",
                    sync.deletes.size(), sync.failures.size());
            return List.of();
        }
        List<List<String>> batches = new ArrayList<>();
        for (int from = 0; from < sync.deletes.size(); from += settings.deleteBatch()) {
            batches.add(sync.deletes.subList(from, Math.min(sync.deletes.size(), from + settings.deleteBatch())));
        }
        return batches;
    }

    /**
     * After one DeleteObjects request: the keys S3 deleted are counted; a key it could not delete (its per-key error:
     * access denied, a lock) is named in the run's failure, and the next sync plans it again.
     */
    public void deleted(Exchange exchange) throws org.apache.camel.InvalidPayloadException {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        DeleteObjectsResponse response = exchange.getMessage().getMandatoryBody(DeleteObjectsResponse.class);
        sync.deleteRequests.incrementAndGet();
        sync.deleted.addAndGet(response.deleted().size());
        metrics.deleted(response.deleted().size());
        for (S3Error error : response.errors()) {
            String what = "could not delete s3://" + settings.bucket() + "/" + error.key() + ": " + error.code()
                    + (error.message() == null ? "" : " (" + error.message() + ")");
            sync.deleteFailures.add(what);
            LOG.warn("dir-to-s3 delete failed: {}", what);
        }
    }

    /**
     * True when S3 refused one file's request for what that request holds (400 Bad Request: a key too long or not
     * allowed by the store, an entity too large; 411, 413), not for its credentials, its bucket or its health: that
     * file fails with S3's reason and the sync goes on. Anything else from S3 is retried and then fails the whole
     * sync, including the 400s that name the connection or the credentials ({@link S3Faults#NOT_THE_REQUEST}).
     */
    public boolean refusedByS3(Exchange exchange) {
        S3Exception e = exchange.getException(S3Exception.class);
        return S3Faults.refusesTheRequest(e != null ? e : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, S3Exception.class));
    }

    /** Saves the state and closes the run: SUCCEEDED when it balances and no file failed, FAILED naming the files. */
    public RunAccount complete(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        try {
            String stateNotSaved = null;
            if (!settings.dryRun()) {
                sync.state.retainOnly(sync.mirrored);
                try {
                    sync.state.save();
                } catch (UncheckedIOException e) {
                    stateNotSaved = e.getMessage() + ": the files counted written or unchanged are in S3, but the next"
                            + " sync compares the files this one uploaded or found equal by content again (a read and"
                            + " a HEAD each)" + (sync.saveFailed != null ? " (the saves during the sync failed too)" : "");
                }
            }
            RunAccount run = sync.run;
            LOG.info("dir-to-s3 {}: {} file(s) seen, uploaded {} ({} bytes), unchanged {}, filtered {}, failed {};"
                            + " deleted {} in {} request(s){}{}; {} HEAD request(s)",
                    settings.dryRun() ? "dry run, nothing changed" : "sync done", run.read(), sync.uploaded.get(),
                    sync.uploadedBytes.get(), run.duplicate(), run.filtered(), run.deadLettered(), sync.deleted.get(),
                    sync.deleteRequests.get(), sync.deleteFailures.isEmpty() ? "" : " (" + sync.deleteFailures.size() + " could not be deleted)",
                    settings.dryRun() ? "; would upload " + sync.wouldUpload.get() + " file(s) ("
                            + sync.wouldUploadBytes.get() + " bytes) and delete " + (settings.delete() ? sync.deletes.size() : 0)
                            + " object(s)" : "", sync.heads.get());
            if (!sync.failures.isEmpty() || !sync.deleteFailures.isEmpty() || stateNotSaved != null) {
                List<String> reasons = new ArrayList<>();
                if (stateNotSaved != null) {
                    reasons.add(stateNotSaved);
                }
                if (!sync.failures.isEmpty()) {
                    reasons.add(sync.failures.size() + " file(s) failed: " + named(sync.failures));
                }
                if (!sync.deleteFailures.isEmpty()) {
                    reasons.add(sync.deleteFailures.size() + " delete(s) failed: " + named(sync.deleteFailures));
                }
                return runs.fail(run, String.join("; and ", reasons));
            }
            return runs.finish(run);
        } finally {
            end(sync);
        }
    }

    /** The sync failed as a whole (S3 out of reach after the retries, a refusal): the run fails loudly. */
    public RunAccount failed(Exchange exchange) {
        Sync sync = exchange.getProperty(SYNC_PROPERTY, Sync.class);
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String reason = e instanceof SyncRefusedException ? e.getMessage() : "sync stopped by " + rootCause(e)
                + " (after the retries); what went up is in the state, the next sync does the rest";
        if (sync == null) {
            return runs.fail(runs.begin(PIPELINE, String.valueOf(settings.sourceDir())), reason);
        }
        try {
            if (sync.state != null && !settings.dryRun()) {
                sync.state.save(); // the uploads that succeeded are not hashed and compared again
            }
        } catch (RuntimeException saveFailed) {
            reason = reason + "; and " + saveFailed.getMessage();
        } finally {
            end(sync);
        }
        return runs.fail(sync.run, reason);
    }

    /** True while a sync runs in this process. */
    public boolean running() {
        return active.get() != null;
    }

    /** The sync is over (once, whichever of complete and failed comes first): the next one may begin. */
    private void end(Sync sync) {
        if (active.compareAndSet(sync, null)) {
            oneSync.release();
        }
    }

    /** One line while a sync runs: files examined of those to examine, uploaded, bytes. */
    public void logProgress() {
        Sync sync = active.get();
        if (sync != null && sync.state != null) {
            LOG.info("dir-to-s3 progress run={}: examined {} of {} file(s), uploaded {} ({} MB), unchanged {}, failed {}",
                    sync.run.runId(), sync.examined.get(), sync.toExamine, sync.uploaded.get(),
                    sync.uploadedBytes.get() / (1024 * 1024), sync.run.duplicate(), sync.failures.size());
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** The first FAILURES_IN_REASON of these, joined, with "..." for the rest. */
    private static String named(java.util.Collection<String> failures) {
        List<String> named = failures.stream().limit(FAILURES_IN_REASON).toList();
        return String.join("; ", named) + (failures.size() > named.size() ? "; ..." : "");
    }

    /** S3's error code, HTTP status and message, without the SDK's request ids. */
    private static String s3Refusal(S3Exception e) {
        var details = e.awsErrorDetails();
        String code = details == null || details.errorCode() == null ? "HTTP" : details.errorCode();
        String message = details == null ? null : details.errorMessage();
        return code + " " + e.statusCode() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    /** The failure under Camel's wrappers (the parallel split's "Multicast processing failed ..."). */
    private static String rootCause(Throwable e) {
        Throwable t = e;
        while (t instanceof org.apache.camel.CamelExchangeException && t.getCause() != null) {
            t = t.getCause();
        }
        return String.valueOf(t);
    }

    /**
     * The change time (ctime) in nanoseconds, -1 where there is none (not a Unix file system). Unlike the mtime, no
     * one can set it back: a same-size edit that restores the mtime (touch -d, cp -p) still moves it.
     */
    static long ctimeNanos(Path file) {
        try {
            return ((java.nio.file.attribute.FileTime) Files.getAttribute(file, "unix:ctime")).to(TimeUnit.NANOSECONDS);
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
            return -1; // an unreadable file fails when it is read, with its reason
        }
    }

    private static BasicFileAttributes attributes(SyncFile f) throws UnreadableFileException {
        try {
            return Files.readAttributes(f.getPath(), BasicFileAttributes.class);
        } catch (IOException e) {
            throw new UnreadableFileException("cannot read " + f.getPath() + ": " + reason(e), e);
        }
    }

    static String hash(SyncFile f, String algorithm) throws UnreadableFileException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[256 * 1024];
        try (InputStream in = Files.newInputStream(f.getPath())) {
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UnreadableFileException("cannot read " + f.getPath() + ": " + reason(e), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such file (removed while the sync ran?)";
        }
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m.toLowerCase(Locale.ROOT).contains("permission denied")
                ? "permission denied" : m;
    }

    static String unquote(String etag) {
        if (etag == null) {
            return "";
        }
        String e = etag.trim();
        return e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"") ? e.substring(1, e.length() - 1) : e;
    }
}
