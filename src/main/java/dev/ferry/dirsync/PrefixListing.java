package dev.ferry.dirsync;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every object under a prefix (key, size, ETag), read with ListObjectsV2 and no HEAD, by folders in parallel where
 * that costs no more requests than one listing of the whole prefix.
 *
 * <p>One listing of the prefix is paged sequentially, 1,000 keys a request: a prefix of a million objects is a
 * thousand requests one after another. Split by its first-level folders ({@code delimiter=/}: the objects directly
 * under it and its folders, then each folder listed whole, {@code parallel} at once), the same objects take about as
 * many requests, run side by side. Some stores also pay per request for the whole prefix a listing walks (S3Proxy's
 * file system store walks every file under the prefix for each page of 1,000), where a folder's listing walks only
 * the folder. The union is exact: a key under the prefix either has no '/' after it or begins with one of the
 * folders the delimiter listing returned, and no key is in two of them.
 *
 * <p>The split is skipped when it would cost more rounds of requests than the plain listing: many folders of few
 * objects (10,000 folders of one file are 10,000 requests, against 10). The local tree, which the prefix mirrors,
 * tells: split when {@code ceil(folders / parallel) <= ceil(files / 1000)}.
 */
final class PrefixListing {

    /** The object as the listing shows it (ETag without quotes). */
    record Remote(long size, String etag) {
    }

    /** What the listing found, and how it was read (for the plan's log line). */
    record Listed(Map<String, Remote> objects, int folders, long requests) {
        String how() {
            return folders == 0 ? requests + " listing request(s)"
                    : requests + " listing request(s), by " + folders + " folder(s) side by side";
        }
    }

    /** S3's page: ListObjectsV2 returns up to 1,000 keys a request. */
    static final int PAGE = 1000;

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int parallel;
    private final Integer pageSize; // null: S3's default (1,000); a test sets a small one to page through few keys

    PrefixListing(S3Client s3, String bucket, String prefix, int parallel) {
        this(s3, bucket, prefix, parallel, null);
    }

    PrefixListing(S3Client s3, String bucket, String prefix, int parallel, Integer pageSize) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.parallel = Math.max(1, parallel);
        this.pageSize = pageSize;
    }

    /** Whether listing {@code localFolders} folders {@code parallel} at once costs no more rounds than one listing. */
    static boolean splitPays(int localFolders, long localFiles, int parallel) {
        if (localFolders < 2) {
            return false; // one folder (or none): the same listing, with one more request
        }
        long rounds = (localFolders + Math.max(1, parallel) - 1) / Math.max(1, parallel);
        return rounds <= Math.max(1, (localFiles + PAGE - 1) / PAGE);
    }

    /**
     * Lists the prefix whole, or by folders when the local tree ({@code localFolders} first-level folders holding
     * {@code localFiles} files in all) says the split pays. A failed request fails the listing: no partial result.
     */
    Listed list(int localFolders, long localFiles) throws InterruptedException {
        AtomicLong requests = new AtomicLong();
        Map<String, Remote> objects = new HashMap<>();
        if (!splitPays(localFolders, localFiles, parallel)) {
            listInto(prefix, null, objects, null, requests);
            return new Listed(objects, 0, requests.get());
        }
        List<String> folders = new ArrayList<>();
        listInto(prefix, "/", objects, folders, requests);
        if (folders.isEmpty()) {
            return new Listed(objects, 0, requests.get());
        }
        int threads = Math.min(parallel, folders.size());
        AtomicInteger seq = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "dir-to-s3-list-" + seq.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Map<String, Remote>>> each = new ArrayList<>(folders.size());
            for (String folder : folders) {
                each.add(pool.submit(() -> {
                    Map<String, Remote> found = new HashMap<>();
                    listInto(folder, null, found, null, requests);
                    return found;
                }));
            }
            for (Future<Map<String, Remote>> f : each) {
                objects.putAll(f.get());
            }
        } catch (ExecutionException e) {
            throw failure(e);
        } finally {
            pool.shutdownNow();
        }
        return new Listed(objects, folders.size(), requests.get());
    }

    /**
     * Starts {@link #list} on a thread of its own, so that it runs beside the caller's walk of the tree; the caller
     * then {@link Pending#await awaits} it, or {@link Pending#cancel cancels} it when the sync ends first.
     */
    Pending start(int localFolders, long localFiles) {
        FutureTask<Listed> task = new FutureTask<>(() -> list(localFolders, localFiles));
        Thread thread = new Thread(task, "dir-to-s3-list");
        thread.setDaemon(true);
        thread.start();
        return new Pending(task);
    }

    /** A listing under way. */
    final class Pending {
        private final FutureTask<Listed> task;

        private Pending(FutureTask<Listed> task) {
            this.task = task;
        }

        /** Its result, or its failure as {@link #list} throws it. */
        Listed await() throws InterruptedException {
            try {
                return task.get();
            } catch (ExecutionException e) {
                throw failure(e);
            }
        }

        /** Stops it (its requests are interrupted); nothing when it has ended. */
        void cancel() {
            task.cancel(true);
        }
    }

    /** The first-level folders among paths relative to the prefix ({@code a/b.txt} is in {@code a}). */
    static int firstLevelFolders(Iterable<String> relPaths) {
        Set<String> folders = new HashSet<>();
        for (String rel : relPaths) {
            int slash = rel.indexOf('/');
            if (slash > 0) {
                folders.add(rel.substring(0, slash));
            }
        }
        return folders.size();
    }

    private RuntimeException failure(ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
            return re; // an S3Exception stays one: the sync's failure names S3's answer
        }
        return new IllegalStateException("listing s3://" + bucket + "/" + prefix + " failed: " + cause, cause);
    }

    /** Every page of one listing (the SDK's paginator) into {@code objects}, and its folders when one is given. */
    private void listInto(String under, String delimiter, Map<String, Remote> objects, List<String> folders,
                          AtomicLong requests) {
        for (ListObjectsV2Response page : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(under)
                .delimiter(delimiter).maxKeys(pageSize))) {
            requests.incrementAndGet();
            for (S3Object o : page.contents()) {
                objects.put(o.key(), new Remote(o.size(), DirSync.unquote(o.eTag())));
            }
            if (folders != null) {
                for (CommonPrefix p : page.commonPrefixes()) {
                    folders.add(p.prefix());
                }
            }
        }
    }
}
