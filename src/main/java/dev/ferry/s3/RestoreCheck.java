package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.Pipeline;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A restore of an opensearch-to-s3 dump, checked whole. Each part's own run checks that part (its count and SHA-256,
 * when S3 kept its dump's metadata), but no part's run can see a part that is not there at all: every run succeeds
 * and the restore lacks that part's documents. So the dump's {@code manifest.json}, found under the prefix, is
 * checked against what is there: every part it lists must be restored (under the processed prefix with done-action
 * move, tagged with done-action tag), or still waiting to be; a part that is neither, once the manifest has been there
 * longer than the grace (a copy of the dump in progress), a part whose size is not the size the manifest says, or one
 * this pipeline does not read (its key-suffixes), fails the check's run loudly, naming the parts and their documents. A complete restore's run succeeds (one line
 * with the dump, its parts and documents), and the manifest is then marked done like a part, so it is not checked
 * again; while parts wait, the manifest waits too, and is checked again at the next listing.
 *
 * <p>With done-action delete a restored part leaves nothing behind to check, so the manifest is left alone (as before).
 * A missing part is reported once per manifest and finding, not at every listing, and again after a restart.
 */
public final class RestoreCheck {

    private static final Logger LOG = LoggerFactory.getLogger(RestoreCheck.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PIPELINE = Pipeline.S3_TO_OPENSEARCH.id();
    public static final String MANIFEST = "manifest.json";
    static final String DUMP_FORMAT = "ferry-opensearch-dump/";
    /** The exchange property holding the check's run while a complete restore's manifest is marked done. */
    public static final String RUN_PROPERTY = "ferryRestoreRun";
    /** The exchange property holding the manifest's key (the body changes as the manifest is marked done). */
    public static final String MANIFEST_PROPERTY = "ferryRestoreManifest";

    private final Runs runs;
    private final S3Client s3;
    private final S3Inbox inbox;
    private final Duration grace;
    private final Clock clock;
    /** Manifests (key, ETag) that are not a Ferry dump's: read once, then left alone. */
    private final Map<String, String> notDumps = new ConcurrentHashMap<>();
    /** The last failure reported per manifest: the same finding fails no new run at every listing. */
    private final Map<String, String> reported = new ConcurrentHashMap<>();

    public RestoreCheck(Runs runs, S3Client s3, S3Inbox inbox, Duration grace, Clock clock) {
        this.runs = runs;
        this.s3 = s3;
        this.inbox = inbox;
        this.grace = grace;
        this.clock = clock;
    }

    /** A part the manifest lists: its name in the dump's folder, documents and stored bytes. */
    record ListedPart(String name, long documents, long bytes) {
    }

    /**
     * Checks the dump whose manifest key is the body. True when every part it lists was restored: the caller marks
     * the manifest done, then calls {@link #restored}. False while parts wait (or a copy may still be on its way),
     * when the check failed (its run says why), and for a manifest.json that is not a Ferry dump's.
     */
    public boolean check(Exchange exchange) {
        String key = exchange.getMessage().getBody(String.class);
        exchange.setProperty(MANIFEST_PROPERTY, key);
        String bucket = inbox.bucket();
        ResponseBytes<GetObjectResponse> got = s3.getObjectAsBytes(b -> b.bucket(bucket).key(key));
        String etag = got.response().eTag();
        if (etag != null && etag.equals(notDumps.get(key))) {
            return false;
        }
        JsonNode manifest;
        try {
            manifest = JSON.readTree(got.asInputStream());
        } catch (IOException e) {
            manifest = null;
        }
        if (manifest == null || !manifest.path("format").asText().startsWith(DUMP_FORMAT) || !manifest.path("parts").isArray()) {
            notDumps.put(key, etag == null ? "" : etag);
            LOG.info("{}/{} is not an opensearch-to-s3 dump's manifest; left alone", bucket, key);
            return false;
        }
        String folder = key.substring(0, key.length() - MANIFEST.length());
        List<ListedPart> listed = new ArrayList<>();
        for (JsonNode p : manifest.path("parts")) {
            String partKey = p.path("key").asText();
            listed.add(new ListedPart(partKey.substring(partKey.lastIndexOf('/') + 1), p.path("documents").asLong(),
                    p.path("bytes").asLong(-1)));
        }
        // the folder first, then the processed prefix: a part moved in between is found in the second
        Map<String, S3Object> inFolder = list(folder);
        Map<String, S3Object> processed = inbox.doneAction() == S3Inbox.DoneAction.MOVE
                ? list(inbox.processedKey(folder)) : Map.of();
        List<String> waiting = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> differ = new ArrayList<>();
        long missingDocuments = 0;
        for (ListedPart part : listed) {
            S3Object there = inFolder.get(part.name());
            boolean done;
            if (there != null && inbox.doneAction() == S3Inbox.DoneAction.TAG) {
                done = inbox.tagged(folder + part.name());
            } else if (there != null) {
                done = false;
            } else {
                there = processed.get(part.name());
                done = there != null;
            }
            if (there == null) {
                missing.add(part.name() + " (" + part.documents() + " document(s))");
                missingDocuments += part.documents();
            } else if (!done && !inbox.isInbox(there.key())) {
                differ.add(part.name() + " is not read by this pipeline (its key-suffixes)");
            } else if (part.bytes() >= 0 && there.size() != part.bytes()) {
                differ.add(part.name() + " is " + there.size() + " byte(s), the manifest says " + part.bytes());
            } else if (!done) {
                waiting.add(part.name());
            }
        }
        String dump = "dump " + manifest.path("dumpId").asText("?") + " of index " + manifest.path("index").asText("?");
        Instant landed = got.response().lastModified();
        boolean mayStillArrive = !missing.isEmpty() && landed != null && landed.plus(grace).isAfter(clock.instant());
        if (!differ.isEmpty() || (!missing.isEmpty() && !mayStillArrive)) {
            String reason = "restore of " + dump + " (" + bucket + '/' + key + ") incomplete: "
                    + (missing.isEmpty() ? "" : missing.size() + " of its " + listed.size() + " part(s) neither waiting under "
                    + bucket + '/' + folder + " nor restored, " + missingDocuments + " document(s) in all: "
                    + String.join(", ", missing) + (differ.isEmpty() ? "" : "; "))
                    + (differ.isEmpty() ? "" : differ.size() + " part(s) that cannot restore it: " + String.join(", ", differ))
                    + "; until this is put right the index lacks those documents (a part copied there again is"
                    + " restored by id, harmless for the parts restored already)";
            if (!reason.equals(reported.put(key, reason))) {
                RunAccount run = runs.begin(PIPELINE, bucket + '/' + key);
                runs.fail(run, reason);
                LOG.error(reason);
            }
            return false;
        }
        if (!waiting.isEmpty() || !missing.isEmpty()) {
            LOG.debug("restore of {}: {} part(s) waiting, {} not there yet (the manifest landed at {})", dump,
                    waiting.size(), missing.size(), landed);
            return false;
        }
        reported.remove(key);
        exchange.setProperty(RUN_PROPERTY, runs.begin(PIPELINE, bucket + '/' + key));
        LOG.info("restore of {} complete: all {} part(s) restored, {} document(s) as its manifest says", dump,
                listed.size(), manifest.path("documents").asLong());
        return true;
    }

    /** The complete restore's manifest was marked done: its run succeeds. */
    public void restored(Exchange exchange) {
        RunAccount run = exchange.getProperty(RUN_PROPERTY, RunAccount.class);
        if (run != null) {
            runs.finish(run);
        }
    }

    /** The check could not be made (S3 failing), or the manifest not marked done: a failed run says why. */
    public void failed(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String key = exchange.getProperty(MANIFEST_PROPERTY, String.class);
        String reason = "restore check of " + inbox.bucket() + '/' + key
                + " failed, checked again at the next listing: "
                + (cause == null ? "unknown failure" : cause.getClass().getSimpleName() + ": " + cause.getMessage());
        RunAccount run = exchange.getProperty(RUN_PROPERTY, RunAccount.class);
        runs.fail(run != null ? run : runs.begin(PIPELINE, inbox.bucket() + '/' + key), reason);
        LOG.error(reason);
    }

    /** The objects directly in a folder, by name. */
    private Map<String, S3Object> list(String folder) {
        Map<String, S3Object> byName = new HashMap<>();
        s3.listObjectsV2Paginator(b -> b.bucket(inbox.bucket()).prefix(folder).delimiter("/")).contents()
                .forEach(o -> byName.put(o.key().substring(folder.length()), o));
        return byName;
    }
}
