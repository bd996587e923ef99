package dev.ferry.s3;

import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.util.Iterator;
import java.util.Locale;

/**
 * The source bucket seen as an inbox: which objects under the prefix still wait to be indexed (marking one done is
 * the route s3-to-opensearch-mark-done's, through aws2-s3 operations; this class says where a moved object goes and
 * which tag marks one done).
 *
 * <p>Why not the aws2-s3 consumer: it opens a GET on every object of a poll before the first is processed (an idle
 * stream that S3 may time out while a big object ahead of it is indexed), and in tag mode it would list and fetch
 * finished objects again on every poll. Listing here is lazy (one page at a time), and an object is opened only when
 * its turn comes.
 */
public final class S3Inbox {

    public static final String DONE_TAG = "ferry-s3-to-opensearch";
    public static final String DONE_VALUE = "done";

    public enum DoneAction { MOVE, DELETE, TAG }

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final DoneAction doneAction;
    private final String processedPrefix;
    private final java.util.List<String> keySuffixes;

    /**
     * @param keySuffixes comma-separated key endings that are data (e.g. {@code .ndjson,.jsonl,.gz}); others, such as
     *                    a dump's {@code manifest.json} and {@code checkpoint.json}, are left alone. Empty: every key.
     */
    public S3Inbox(S3Client s3, String bucket, String prefix, String doneAction, String processedPrefix,
                   String keySuffixes) {
        this.keySuffixes = keySuffixes == null ? java.util.List.of() : java.util.Arrays.stream(keySuffixes.split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).toList();
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix == null ? "" : prefix;
        this.doneAction = DoneAction.valueOf(doneAction.trim().toUpperCase(Locale.ROOT));
        this.processedPrefix = processedPrefix == null ? "" : processedPrefix;
    }

    /**
     * Keys waiting under the prefix, in listing order, fetched page by page as the caller iterates; with them, a dump's
     * {@code manifest.json} not marked done yet, for its restore check ({@link RestoreCheck}; not with done-action
     * delete, which leaves nothing to check).
     */
    public Iterator<String> pending() {
        return pendingObjectsAndManifests().map(S3Object::key).iterator();
    }

    /** The objects waiting under the prefix and the dumps' manifests not done yet, in listing order, page by page. */
    public java.util.stream.Stream<S3Object> pendingObjectsAndManifests() {
        return listed().filter(o -> isInbox(o.key()) || isRestoreManifest(o.key()))
                .filter(o -> doneAction != DoneAction.TAG || !tagged(o.key()));
    }

    /**
     * An opensearch-to-s3 dump's manifest in the inbox, by name ({@link RestoreCheck} reads it to know), when it is
     * not data by key-suffixes (with key-suffixes that take .json, a manifest.json is read as data, as any key).
     */
    public boolean isRestoreManifest(String key) {
        return doneAction != DoneAction.DELETE && key.startsWith(prefix) && !isData(key)
                && (key.equals(prefix + RestoreCheck.MANIFEST) || key.endsWith('/' + RestoreCheck.MANIFEST))
                && !processed(key);
    }

    private java.util.stream.Stream<S3Object> listed() {
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream();
    }

    /** A data object under the prefix, not a folder marker, not a processed object (done-action move). */
    public boolean isInbox(String key) {
        return key.startsWith(prefix) && !key.endsWith("/") && isData(key) && !processed(key);
    }

    /** Under the processed prefix (done-action move): a done object, never read again. */
    private boolean processed(String key) {
        return doneAction == DoneAction.MOVE && !processedPrefix.isEmpty() && key.startsWith(processedPrefix);
    }

    public DoneAction doneAction() {
        return doneAction;
    }

    public boolean isData(String key) {
        // dead letters (a dump's part-NNNNN.dead-letters.ndjson.gz, this pipeline's own) are never read as data
        if (key.endsWith(".dead-letters.ndjson") || key.endsWith(".dead-letters.ndjson.gz")
                || key.endsWith(".dead-letters.ndjson.zst")) {
            return false;
        }
        return keySuffixes.isEmpty() || keySuffixes.stream().anyMatch(key::endsWith);
    }

    boolean tagged(String key) {
        return s3.getObjectTagging(b -> b.bucket(bucket).key(key)).tagSet().stream()
                .anyMatch(t -> DONE_TAG.equals(t.key()) && DONE_VALUE.equals(t.value()));
    }

    public String bucket() {
        return bucket;
    }

    /** Where a processed object goes in move mode: the processed prefix replaces the source prefix. */
    public String processedKey(String key) {
        return processedPrefix + (key.startsWith(prefix) ? key.substring(prefix.length()) : key);
    }

    /** The tag a done object carries in tag mode (the aws2-s3 putObjectTagging operation's CamelAwsS3ObjectTags). */
    public java.util.Map<String, String> doneTags() {
        return java.util.Map.of(DONE_TAG, DONE_VALUE);
    }
}
