package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.Pipeline;
import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import org.apache.camel.Exchange;
import org.apache.camel.component.aws2.sqs.Sqs2Constants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * s3-to-opensearch fed by an SQS queue: reads a queue message in the format S3 sends its event notifications in
 * (also wrapped by SNS, and EventBridge's "Object Created"), and names the objects of Ferry's inbox it asks for. Every
 * event is counted in {@code ferry_s3_events_total{pipeline,outcome}}; what is not an object to index is said once in
 * the log with its reason and never blocks the queue:
 * <ul>
 *   <li>{@code enqueued}: sent by the leader's listing for an object waiting (listing=true with a queue);</li>
 *   <li>{@code indexed}: an object of the inbox, still there: the route indexes it (its run tells how it went);</li>
 *   <li>{@code gone}: no longer in the bucket (done by another replica, a duplicate message, or deleted meanwhile);</li>
 *   <li>{@code already_done}: tagged done (done-action tag);</li>
 *   <li>{@code other_bucket}, {@code outside_inbox} (not under the prefix, not a data key, the processed prefix),
 *       {@code not_created} (a removal or another event type), {@code test_event} (S3's s3:TestEvent);</li>
 *   <li>{@code malformed}: the message is not an S3 event (not JSON, no Records, a record without bucket or key): the
 *       header {@value #REJECTED} says why, and the route keeps a copy in the dead-letter bucket.</li>
 * </ul>
 */
public final class S3EventQueue {

    /** Header set on a message that is (partly) not an S3 event: the reason. */
    public static final String REJECTED = "FerryQueueMessageRejected";
    /** Exchange property the object route sets when an object's run failed (see {@link ObjectJobs#failed}). */
    public static final String OBJECT_FAILED = "ferryObjectFailed";

    public enum Outcome { ENQUEUED, INDEXED, GONE, ALREADY_DONE, OTHER_BUCKET, OUTSIDE_INBOX, NOT_CREATED, TEST_EVENT, MALFORMED }

    private static final Logger LOG = LoggerFactory.getLogger(S3EventQueue.class);
    private static final String PIPELINE = Pipeline.S3_TO_OPENSEARCH.id();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final S3Inbox inbox;
    private final PipelineMetrics metrics;
    private final Map<Outcome, LongAdder> counts = new EnumMap<>(Outcome.class);
    private final Map<String, String> enqueued = new ConcurrentHashMap<>(); // key -> ETag sent by this leader

    public S3EventQueue(S3Client s3, S3Inbox inbox, PipelineMetrics metrics) {
        this.s3 = s3;
        this.inbox = inbox;
        this.metrics = metrics;
        for (Outcome o : Outcome.values()) {
            counts.put(o, new LongAdder());
        }
    }

    /** How many events ended so (tests, the run summary). */
    public long count(Outcome outcome) {
        return counter(outcome).sum();
    }

    /** At start-up, once the scraped registry is bound: every outcome shows at zero before the first message. */
    public void register() {
        for (Outcome o : Outcome.values()) {
            FunctionCounter.builder("ferry.s3_events", counts.get(o), LongAdder::sum)
                    .description("S3 event notifications sent by the leader's listing (enqueued), or taken from the queue by what became of them")
                    .tag("pipeline", PIPELINE).tag("outcome", o.name().toLowerCase(Locale.ROOT))
                    .register(metrics.registry());
        }
    }

    /**
     * The keys of the inbox objects the message (the body) asks to index, in its order, each still waiting; the
     * others are counted with their reason. A message that is not an S3 event gets the header {@value #REJECTED}.
     */
    public List<String> objects(Exchange exchange) {
        String body = exchange.getMessage().getBody(String.class);
        String messageId = exchange.getMessage().getHeader(Sqs2Constants.MESSAGE_ID, "?", String.class);
        List<String> keys = new ArrayList<>();
        List<String> rejected = new ArrayList<>();
        JsonNode message;
        try {
            message = JSON.readTree(body == null ? "" : body);
        } catch (IOException e) {
            message = null;
        }
        if (message != null && "Notification".equals(message.path("Type").asText()) && message.path("Message").isTextual()) {
            try { // S3 -> SNS -> SQS: the event is the envelope's Message
                message = JSON.readTree(message.path("Message").asText());
            } catch (IOException e) {
                message = null;
            }
        }
        if (message == null || !message.isObject()) {
            rejected.add("not a JSON object");
        } else if ("s3:TestEvent".equals(message.path("Event").asText())) {
            count(Outcome.TEST_EVENT, messageId, null, "S3's test event (sent when notifications are configured)");
        } else if (message.has("detail-type")) { // EventBridge: one event per message, the key not URL-encoded
            String type = message.path("detail-type").asText();
            String bucket = message.path("detail").path("bucket").path("name").asText(null);
            String key = message.path("detail").path("object").path("key").asText(null);
            if (bucket == null || key == null) {
                rejected.add("EventBridge event without detail.bucket.name or detail.object.key");
            } else {
                take(messageId, type.equals("Object Created"), type, bucket, key, keys);
            }
        } else if (!message.path("Records").isArray() || message.path("Records").isEmpty()) {
            rejected.add("no Records (not an S3 event notification)");
        } else {
            int i = 0;
            for (JsonNode record : message.path("Records")) {
                i++;
                String event = record.path("eventName").asText("");
                String bucket = record.path("s3").path("bucket").path("name").asText(null);
                String encodedKey = record.path("s3").path("object").path("key").asText(null);
                if (bucket == null || encodedKey == null) {
                    rejected.add("record " + i + " has no s3.bucket.name or s3.object.key");
                    continue;
                }
                // S3 sends keys URL-encoded as in a form (a space is '+')
                String key = URLDecoder.decode(encodedKey, StandardCharsets.UTF_8);
                take(messageId, event.startsWith("ObjectCreated:"), event, bucket, key, keys);
            }
        }
        if (!rejected.isEmpty()) {
            String reason = String.join("; ", rejected);
            counter(Outcome.MALFORMED).add(rejected.size());
            exchange.getMessage().setHeader(REJECTED, reason);
            LOG.warn("queue message {} is not an S3 event notification ({}); a copy goes to the dead-letter bucket",
                    messageId, reason);
        }
        return keys;
    }

    private void take(String messageId, boolean created, String event, String bucket, String key, List<String> keys) {
        if (!created) {
            count(Outcome.NOT_CREATED, messageId, bucket + '/' + key, "event " + event + " is not a creation");
        } else if (!bucket.equals(inbox.bucket())) {
            count(Outcome.OTHER_BUCKET, messageId, bucket + '/' + key, "not the inbox bucket " + inbox.bucket());
        } else if (!inbox.isInbox(key)) {
            count(Outcome.OUTSIDE_INBOX, messageId, bucket + '/' + key,
                    "not a data key under the inbox prefix (or it is under the processed prefix)");
        } else {
            try {
                if (inbox.doneAction() == S3Inbox.DoneAction.TAG && inbox.tagged(key)) {
                    count(Outcome.ALREADY_DONE, messageId, bucket + '/' + key, "tagged done already");
                    return;
                }
                s3.headObject(b -> b.bucket(bucket).key(key));
                counter(Outcome.INDEXED).increment();
                keys.add(key);
            } catch (S3Exception e) { // NoSuchKeyException too; a HEAD's 404 comes without that type
                if (e.statusCode() != 404) {
                    throw e; // S3 failing: the message stays in the queue and comes back
                }
                count(Outcome.GONE, messageId, bucket + '/' + key,
                        "no longer in the bucket (done already, by this or another replica, or deleted)");
            }
        }
    }

    /**
     * The leader's listing feeding the queue (listing=true with queue-enabled=true, for a bucket without
     * notifications): the objects waiting that were not enqueued yet, or have changed (another ETag) since. Once an
     * object's message is sent ({@link #enqueued}) it is not sent again while it stays in the listing, however long its
     * indexing takes; a listing that ends forgets the objects it no longer saw (done), so memory holds one entry per
     * object waiting. A message lost to the redrive queue is not sent again by this leader (the poison message is the
     * operator's to look at); a new leader sends one for every object still waiting, once. A dump's manifest not done
     * yet comes at every listing, for the route to check the restore ({@link RestoreCheck}), never as a message.
     */
    public Iterator<S3Object> unqueued() {
        Set<String> seen = new HashSet<>();
        Iterator<S3Object> listed = inbox.pendingObjectsAndManifests().iterator();
        return new Iterator<>() {
            private S3Object next;

            @Override
            public boolean hasNext() {
                while (next == null && listed.hasNext()) {
                    S3Object o = listed.next();
                    seen.add(o.key());
                    if (inbox.isRestoreManifest(o.key()) || !o.eTag().equals(enqueued.get(o.key()))) {
                        next = o;
                    }
                }
                if (next == null) {
                    enqueued.keySet().retainAll(seen); // the listing is complete: forget what is done
                }
                return next != null;
            }

            @Override
            public S3Object next() {
                if (!hasNext()) {
                    throw new java.util.NoSuchElementException();
                }
                S3Object o = next;
                next = null;
                return o;
            }
        };
    }

    /** A dump's manifest in the leader's listing: the route checks the restore with it, and never sends it. */
    public boolean isRestoreManifest(S3Object listed) {
        return inbox.isRestoreManifest(listed.key());
    }

    /** The message S3 itself would send for a listed object (ObjectCreated:Put; the key URL-encoded as S3 does). */
    public String event(S3Object object) {
        var root = JSON.createObjectNode();
        var record = root.putArray("Records").addObject();
        record.put("eventVersion", "2.1").put("eventSource", "aws:s3").put("eventName", "ObjectCreated:Put")
                .put("eventTime", object.lastModified() == null ? null : object.lastModified().toString());
        var s3Node = record.putObject("s3");
        s3Node.put("s3SchemaVersion", "1.0").put("configurationId", "ferry-listing");
        s3Node.putObject("bucket").put("name", inbox.bucket()).put("arn", "arn:aws:s3:::" + inbox.bucket());
        s3Node.putObject("object")
                .put("key", java.net.URLEncoder.encode(object.key(), StandardCharsets.UTF_8).replace("%2F", "/"))
                .put("size", object.size()).put("eTag", object.eTag().replace("\"", ""));
        return root.toString();
    }

    /** The listed object's message is in the queue: not sent again while it waits with this ETag. */
    public void enqueued(S3Object object) {
        enqueued.put(object.key(), object.eTag());
        counts.get(Outcome.ENQUEUED).increment();
    }

    /**
     * After the object route: an object whose run failed (it stays in the bucket) fails the message too, so the queue
     * does not delete it and delivers it again once its visibility timeout ends (to any replica).
     */
    public void requireDone(Exchange exchange) {
        String failure = exchange.getProperty(OBJECT_FAILED, String.class);
        if (failure != null) {
            exchange.removeProperty(OBJECT_FAILED);
            throw new ObjectNotDoneException("object " + failure + "; its queue message stays to be delivered again");
        }
    }

    /** The S3 metadata of a rejected message's copy in the dead-letter bucket: its reason (ASCII, as S3 wants). */
    public Map<String, String> rejectionMetadata(String reason) {
        return Map.of("ferry-reason", reason.replaceAll("[^\\x20-\\x7e]", "?"));
    }

    private void count(Outcome outcome, String messageId, String object, String reason) {
        counter(outcome).increment();
        LOG.info("queue message {}{}: {}, skipped", messageId, object == null ? "" : " for " + object, reason);
    }

    private LongAdder counter(Outcome outcome) {
        return counts.get(outcome);
    }

    /** An object of a queue message was not done: the message must not be deleted. */
    public static final class ObjectNotDoneException extends RuntimeException {
        public ObjectNotDoneException(String message) {
            super(message);
        }
    }
}
