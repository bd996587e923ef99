package dev.ferry.s3;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.SqsServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.ferry.s3.S3ToOpenSearchFixture.docs;
import static dev.ferry.s3.S3ToOpenSearchFixture.gzip;
import static dev.ferry.s3.S3ToOpenSearchFixture.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * s3-to-opensearch fed by an SQS queue (ElasticMQ) of S3 event notifications, on several replicas, against S3Proxy and
 * a real OpenSearch node. S3Proxy sends no notifications: the tests send S3's own event JSON after each upload.
 */
class S3ToOpenSearchQueueTest {

    private static final int VISIBILITY_SECONDS = 10;

    @Test
    void threeReplicasShareTheQueueAndEveryDocumentIsIndexedExactlyOnce() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        SqsServer sqs = services.sqs();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "queue");
        String queueName = "events-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);

        List<FerryUnderTest> replicas = new ArrayList<>();
        try {
            Map<String, String> settings = settings(f, sqs, queueName);
            settings.put("ferry.s3-to-opensearch.bulk-max-docs", "100"); // several bulk requests per object
            for (int i = 0; i < 3; i++) {
                replicas.add(FerryUnderTest.start(settings));
            }
            // a consumer polls again as soon as it is done with a message (delay 0 would be Camel's 500 ms)
            org.apache.camel.support.ScheduledPollConsumer consumer = (org.apache.camel.support.ScheduledPollConsumer)
                    replicas.get(0).camelContext().getRoute("s3-to-opensearch-queue").getConsumer();
            assertThat(consumer.isGreedy()).isTrue();
            assertThat(consumer.getDelay()).isBetween(1L, 1000L);
            int objects = 30;
            int perObject = 400;
            for (int i = 0; i < objects; i++) {
                String key = "incoming/part " + i + ".ndjson.gz"; // a space: S3 sends it as '+'
                f.put(key, gzip(docs("q" + i, perObject)));
                send(sqs, queue, created(f.bucket, key));
            }
            // a duplicate delivery of the first three, while they may still be in work
            for (int i = 0; i < 3; i++) {
                send(sqs, queue, created(f.bucket, "incoming/part " + i + ".ndjson.gz"));
            }
            // what is not an object to index: counted with its reason, deleted, never a stuck queue
            f.put("incoming/deleted.ndjson", docs("gone", 5).getBytes(StandardCharsets.UTF_8));
            f.s3().deleteObject(b -> b.bucket(f.bucket).key("incoming/deleted.ndjson"));
            send(sqs, queue, created(f.bucket, "incoming/deleted.ndjson"));
            send(sqs, queue, created("another-bucket", "incoming/x.ndjson"));
            send(sqs, queue, created(f.bucket, "elsewhere/x.ndjson"));
            send(sqs, queue, "{\"Records\":[{\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":{\"name\":\""
                    + f.bucket + "\"},\"object\":{\"key\":\"incoming/part+0.ndjson.gz\"}}}]}");
            send(sqs, queue, "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"" + f.bucket + "\"}");
            send(sqs, queue, "this is not an S3 event");

            // a replica holds at most queue-consumers (1) objects at once: its consumer waits for the object it
            // took, and leaves the other messages to the other replicas
            java.util.concurrent.atomic.AtomicInteger mostAtOnce = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.ScheduledExecutorService sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor();
            sampler.scheduleAtFixedRate(() -> {
                for (FerryUnderTest replica : replicas) {
                    int active = (int) runs(replica).active().stream()
                            .filter(r -> r.pipeline().equals("s3-to-opensearch")).count();
                    mostAtOnce.accumulateAndGet(active, Math::max);
                }
            }, 0, 20, java.util.concurrent.TimeUnit.MILLISECONDS);
            try {
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                        .until(() -> f.keys(f.bucket, "processed/").size() == objects && sqs.depth(queue) == 0);
            } finally {
                sampler.shutdownNow();
            }
            assertThat(mostAtOnce.get()).as("objects in work at once on one replica").isBetween(1, 1);

            assertThat(f.keys(f.bucket, "incoming/")).isEmpty();
            assertThat(f.count(f.index)).isEqualTo((long) objects * perObject);
            // deterministic ids: each document once, whichever replica indexed it, however often
            for (int i = 0; i < objects; i += 7) {
                assertThat(f.rawSource(f.index, LineParser.derivedId(f.bucket, "incoming/part " + i + ".ndjson.gz", perObject),
                        null)).isPresent();
            }
            // every object's run succeeded; those without a duplicate message ran exactly once, across all replicas
            Map<String, Integer> succeeded = new HashMap<>();
            int replicasThatWorked = 0;
            for (FerryUnderTest replica : replicas) {
                Runs runs = runs(replica);
                boolean worked = false;
                for (RunAccount run : runs.finished()) {
                    if (run.status() == RunAccount.Status.SUCCEEDED) {
                        succeeded.merge(run.subject(), 1, Integer::sum);
                        worked = true;
                    }
                }
                replicasThatWorked += worked ? 1 : 0;
            }
            assertThat(succeeded).hasSize(objects);
            for (int i = 3; i < objects; i++) {
                assertThat(succeeded.get(f.bucket + "/incoming/part " + i + ".ndjson.gz")).as("part " + i).isEqualTo(1);
            }
            assertThat(replicasThatWorked).as("objects spread over the replicas").isGreaterThan(1);

            Map<S3EventQueue.Outcome, Long> outcomes = new HashMap<>();
            for (FerryUnderTest replica : replicas) {
                S3EventQueue q = replica.bean("s3ToOpenSearchQueue", S3EventQueue.class);
                for (S3EventQueue.Outcome o : S3EventQueue.Outcome.values()) {
                    outcomes.merge(o, q.count(o), Long::sum);
                }
            }
            // a duplicate finds its object either gone (done) or still there (indexed again, harmlessly); a message
            // comes back only if its object failed, and none did
            assertThat(outcomes.get(S3EventQueue.Outcome.INDEXED) + outcomes.get(S3EventQueue.Outcome.GONE))
                    .isEqualTo(objects + 3 + 1);
            for (FerryUnderTest replica : replicas) {
                assertThat(runs(replica).finished()).allSatisfy(run ->
                        assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED));
            }
            assertThat(outcomes.get(S3EventQueue.Outcome.GONE)).isGreaterThanOrEqualTo(1);
            assertThat(outcomes.get(S3EventQueue.Outcome.OTHER_BUCKET)).isEqualTo(1);
            assertThat(outcomes.get(S3EventQueue.Outcome.OUTSIDE_INBOX)).isEqualTo(1);
            assertThat(outcomes.get(S3EventQueue.Outcome.NOT_CREATED)).isEqualTo(1);
            assertThat(outcomes.get(S3EventQueue.Outcome.TEST_EVENT)).isEqualTo(1);
            assertThat(outcomes.get(S3EventQueue.Outcome.MALFORMED)).isEqualTo(1);
            // the malformed message kept in the dead-letter bucket, as it came, with its reason
            List<String> rejected = f.keys(f.deadLetterBucket, "rejected-messages/");
            assertThat(rejected).hasSize(1);
            assertThat(f.text(f.deadLetterBucket, rejected.get(0))).isEqualTo("this is not an S3 event");
            assertThat(f.s3().headObject(b -> b.bucket(f.deadLetterBucket).key(rejected.get(0))).metadata())
                    .containsEntry("ferry-reason", "not a JSON object");
            assertThat(sqs.depth(sqs.client().getQueueUrl(b -> b.queueName(queueName + "-redrive")).queueUrl())).isZero();
            // the counters Prometheus scrapes
            assertThat(replicas.get(0).get("metrics").body())
                    .contains("ferry_s3_events_total{outcome=\"malformed\",pipeline=\"s3-to-opensearch\"}");
        } finally {
            replicas.forEach(FerryUnderTest::close);
        }
    }

    /**
     * A bucket without notifications: the leader (elected through a lock directory) lists it and sends each waiting
     * object's message once, however long it waits; both replicas index from the queue. A dump's manifest among the
     * objects is never sent: the leader checks the restore against it, and its run succeeds once every part is done.
     */
    @Test
    void theLeadersListingFeedsTheQueueOnceForEachObject(@TempDir Path locks) throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        SqsServer sqs = services.sqs();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "queue-listing");
        String queueName = "events-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);
        int objects = 12;
        int perObject = 3000; // each takes several listings (poll-delay 300 ms) to index
        // as a dump copied there to be restored: its manifest lists the objects, and the leader checks the restore
        StringBuilder parts = new StringBuilder();
        for (int i = 0; i < objects; i++) {
            byte[] object = gzip(docs("l" + i, perObject));
            f.put("incoming/listed-" + i + ".ndjson.gz", object);
            parts.append(i == 0 ? "" : ",").append("{\"key\":\"dumps/x/d1/listed-").append(i).append(".ndjson.gz\",")
                    .append("\"documents\":").append(perObject).append(",\"bytes\":").append(object.length).append('}');
        }
        f.put("incoming/manifest.json", ("{\"format\":\"ferry-opensearch-dump/1\",\"dumpId\":\"d1\",\"index\":\"x\","
                + "\"documents\":" + objects * perObject + ",\"parts\":[" + parts + "]}").getBytes(StandardCharsets.UTF_8));
        Map<String, String> settings = settings(f, sqs, queueName);
        settings.put("ferry.s3-to-opensearch.listing", "true");
        settings.put("ferry.cluster.service", "file");
        settings.put("ferry.cluster.file.root", locks.toString());
        settings.put("ferry.cluster.file.interval-ms", "300");
        settings.put("ferry.s3-to-opensearch.bulk-max-docs", "500");
        try (FerryUnderTest a = FerryUnderTest.start(settings); FerryUnderTest b = FerryUnderTest.start(settings)) {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> f.keys(f.bucket, "processed/").size() == objects + 1 && sqs.depth(queue) == 0);
            assertThat(f.keys(f.bucket, "processed/")).as("the manifest too, once every part was restored")
                    .contains("processed/manifest.json");
            assertThat(f.count(f.index)).isEqualTo((long) objects * perObject);
            Map<S3EventQueue.Outcome, Long> outcomes = new HashMap<>();
            Map<String, Integer> runsPerObject = new HashMap<>();
            for (FerryUnderTest replica : List.of(a, b)) {
                S3EventQueue q = replica.bean("s3ToOpenSearchQueue", S3EventQueue.class);
                for (S3EventQueue.Outcome o : S3EventQueue.Outcome.values()) {
                    outcomes.merge(o, q.count(o), Long::sum);
                }
                for (RunAccount run : runs(replica).finished()) {
                    assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                    runsPerObject.merge(run.subject(), 1, Integer::sum);
                }
            }
            assertThat(outcomes.get(S3EventQueue.Outcome.ENQUEUED)).as("one message per object, none for the manifest")
                    .isEqualTo(objects);
            assertThat(outcomes.get(S3EventQueue.Outcome.INDEXED)).isEqualTo(objects);
            assertThat(runsPerObject).hasSize(objects + 1).allSatisfy((subject, n) -> assertThat(n).as(subject).isEqualTo(1))
                    .containsKey(f.bucket + "/incoming/manifest.json");
        }
    }

    /**
     * A replica killed with kill -9 mid-object: its message comes back after the visibility timeout, another replica
     * indexes the object whole, nothing lost, nothing doubled, the message not lost to the redrive queue.
     */
    @Test
    void aReplicaKilledMidObjectLeavesItsObjectToAnotherReplica() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        SqsServer sqs = services.sqs();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "queue-kill9");
        String queueName = "events-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);
        f.createIndex(f.index, "{}"); // counted while the doomed replica fills it
        int big = 60_000;
        f.put("incoming/big.ndjson.gz", gzip(docs("big", big)));
        Map<String, String> settings = settings(f, sqs, queueName);
        settings.put("ferry.s3-to-opensearch.queue-consumers", "1");
        settings.put("ferry.s3-to-opensearch.bulk-max-docs", "500");
        settings.put("ferry.s3-to-opensearch.bulk-in-flight", "1");
        Path log = Files.createTempFile("ferry-queue-kill9-", ".log");
        Process doomed = FerryUnderTest.launchProcess(settings, log);
        long atKill;
        try {
            send(sqs, queue, created(f.bucket, "incoming/big.ndjson.gz"));
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100))
                    .until(() -> !doomed.isAlive() || f.count(f.index) >= 3_000);
        } finally {
            doomed.destroyForcibly(); // SIGKILL: no shutdown hook, the message neither deleted nor released
            doomed.waitFor();
        }
        atKill = f.count(f.index);
        assertThat(atKill).as("killed mid-object: %s", Files.readString(log)).isBetween(3_000L, big - 1L);

        try (FerryUnderTest survivor = FerryUnderTest.start(settings)) {
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500))
                    .until(() -> f.keys(f.bucket, "processed/").size() == 1 && sqs.depth(queue) == 0);
            assertThat(f.count(f.index)).isEqualTo(big);
            List<RunAccount> finished = runs(survivor).finished();
            assertThat(finished).singleElement().satisfies(run -> {
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(big);
                assertThat(run.written()).isEqualTo(big);
            });
        }
        assertThat(f.keys(f.bucket, "incoming/")).isEmpty();
        assertThat(sqs.depth(sqs.client().getQueueUrl(b -> b.queueName(queueName + "-redrive")).queueUrl())).isZero();
    }

    private static Map<String, String> settings(S3ToOpenSearchFixture f, SqsServer sqs, String queueName) {
        Map<String, String> s = f.overrides();
        s.putAll(sqs.ferrySettings());
        s.put("ferry.s3-to-opensearch.listing", "false");
        s.put("ferry.s3-to-opensearch.queue-enabled", "true");
        s.put("ferry.s3-to-opensearch.queue-url", sqs.client().getQueueUrl(b -> b.queueName(queueName)).queueUrl());
        s.put("ferry.s3-to-opensearch.queue-visibility-seconds", Integer.toString(VISIBILITY_SECONDS));
        s.put("ferry.s3-to-opensearch.queue-wait-seconds", "1"); // replicas stop within a second
        return s;
    }

    private static void send(SqsServer sqs, String queueUrl, String body) {
        sqs.client().sendMessage(b -> b.queueUrl(queueUrl).messageBody(body));
    }

    /** An S3 event notification as S3 sends it (the key URL-encoded as in a form: a space is '+'). */
    static String created(String bucket, String key) {
        String encoded = URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
        return "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"awsRegion\":\"us-east-1\","
                + "\"eventTime\":\"2026-12-01T08:00:00.000Z\",\"eventName\":\"ObjectCreated:Put\","
                + "\"userIdentity\":{\"principalId\":\"AWS:EXAMPLE\"},\"requestParameters\":{\"sourceIPAddress\":\"127.0.0.1\"},"
                + "\"responseElements\":{\"x-amz-request-id\":\"EXAMPLE\",\"x-amz-id-2\":\"EXAMPLE\"},"
                + "\"s3\":{\"s3SchemaVersion\":\"1.0\",\"configurationId\":\"ferry-inbox\","
                + "\"bucket\":{\"name\":\"" + bucket + "\",\"ownerIdentity\":{\"principalId\":\"EXAMPLE\"},"
                + "\"arn\":\"arn:aws:s3:::" + bucket + "\"},"
                + "\"object\":{\"key\":\"" + encoded + "\",\"size\":1024,\"eTag\":\"0123456789abcdef0123456789abcdef\","
                + "\"sequencer\":\"0A1B2C3D4E5F678901\"}}}]}";
    }
}
