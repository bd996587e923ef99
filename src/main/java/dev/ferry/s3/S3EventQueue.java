package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.Pipeline;
import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * s3-to-opensearch fed by an SQS queue: reads a queue message in the format S3 sends its event notifications in
 * (also wrapped by SNS, and EventBridge's "Object Created"), and names the objects of Ferry's inbox it asks for. Every
 * event is counted in {@code ferry_s3_events_total{pipeline,outcome}}; what is not an object to index is said once in
 * the log with its reason and never blocks the queue:
 * <ul>
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

    public enum Outcome { INDEXED, GONE, ALREADY_DONE, OTHER_BUCKET, OUTSIDE_INBOX, NOT_CREATED, TEST_EVENT, MALFORMED }

    private static final Logger LOG = LoggerFactory.getLogger(S3EventQueue.class);
    private static final String PIPELINE = Pipeline.S3_TO_OPENSEARCH.id();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final S3Inbox inbox;
    private final PipelineMetrics metrics;
    private final Map<Outcome, LongAdder> counts = new EnumMap<>(Outcome.class);

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
                    .description("S3 event notifications taken from the queue, by what became of them")
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
        String messageId = exchange.getMessage().getHeader("CamelAwsSqsMessageId", "?", String.class);
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
            } catch (NoSuchKeyException e) {
                count(Outcome.GONE, messageId, bucket + '/' + key,
                        "no longer in the bucket (done already, by this or another replica, or deleted)");
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e; // S3 failing: the message stays in the queue and comes back
                }
                count(Outcome.GONE, messageId, bucket + '/' + key,
                        "no longer in the bucket (done already, by this or another replica, or deleted)");
            }
        }
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
