package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchLine;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ferry.s3.S3ToOpenSearchFixture.docs;
import static dev.ferry.s3.S3ToOpenSearchFixture.gzip;
import static dev.ferry.s3.S3ToOpenSearchFixture.lastRun;
import static dev.ferry.s3.S3ToOpenSearchFixture.runs;
import static dev.ferry.s3.S3ToOpenSearchFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** s3-to-opensearch against a real S3Proxy and a real OpenSearch node: exact counts, dead letters, done objects. */
class S3ToOpenSearchTest {

    private static final String MAPPING = "{\"tag\":{\"type\":\"keyword\"},\"n\":{\"type\":\"long\"},"
            + "\"price\":{\"type\":\"long\"},\"name\":{\"type\":\"text\"},\"blob\":{\"type\":\"text\",\"index\":false}}";

    @Test
    void aMixOfObjectsEndsWithEveryGoodDocumentIndexedOnceAndEveryBadOneDeadLetteredWithItsReason() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "mix");
        f.createIndex(f.index, MAPPING);
        String other = f.index + "-restored";

        f.put("incoming/a.ndjson.gz", gzip(docs("a", 1200)));

        List<String> b = new ArrayList<>(Arrays.asList(docs("b", 300).split("\n")));
        b.add(10 - 1, "{\"tag\":\"b\",\"n\":");                        // line 10: cut short
        b.add(20 - 1, "this is not json");                           // line 20
        b.add(30 - 1, "{\"tag\":\"b\"} trailing");                    // line 30
        b.add(40 - 1, "{\"tag\":\"b\",\"n\":9040,\"price\":\"abc\"}");   // line 40: conflicts with price:long
        b.add(50 - 1, "{\"tag\":\"b\",\"n\":9050,\"price\":{\"x\":1}}"); // line 50: object into a long
        f.put("incoming/b.ndjson", (String.join("\n", b) + "\n").getBytes());

        f.put("incoming/empty.ndjson.gz", gzip(""));
        f.put("incoming/empty.ndjson", new byte[0]);

        byte[] whole = gzip(docs("c", 30_000));
        byte[] corrupt = Arrays.copyOf(whole, whole.length / 2);
        NdjsonBatches expected = new NdjsonBatches(new ByteArrayInputStream(corrupt), 1000, 1 << 30, 1 << 20);
        expected.forEachRemaining(x -> { });
        long readableCorrupt = expected.linesRead();
        assertThat(readableCorrupt).isBetween(1000L, 29_000L);
        f.put("incoming/corrupt.ndjson.gz", corrupt);

        f.put("incoming/dump.ndjson", (""
                + "{\"_index\":\"" + f.index + "\",\"_id\":\"d-1\",\"_routing\":\"r7\",\"_source\":{\"tag\":\"d\",\"price\":95.0,\"name\":\"caf\u00e9\"}}\n"
                + "{\"_id\":\"d-2\",\"_source\":{\"tag\":\"d\",\"n\":2}}\n"
                + "{\"_index\":\"" + other + "\",\"_id\":\"d-3\",\"_source\":{\"tag\":\"d\",\"n\":3}}\n").getBytes("UTF-8"));

        String big = "{\"tag\":\"long\",\"n\":1,\"blob\":\"" + "many words ".repeat(200_000) + "\"}\n"; // ~2.2 MB: indexed
        String tooBig = "{\"tag\":\"long\",\"n\":2,\"blob\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}\n";  // over 4 MB
        f.put("incoming/long.ndjson", (big + tooBig + "{\"tag\":\"long\",\"n\":3}\n").getBytes());
        // a dump's manifest is not data: left alone, never indexed
        f.put("incoming/manifest.json", "{\"index\":\"x\",\"total\":3}".getBytes());

        Map<String, String> overrides = f.overrides();
        overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "250");
        overrides.put("ferry.s3-to-opensearch.bulk-max-bytes", "1048576");
        overrides.put("ferry.s3-to-opensearch.max-line-bytes", "4194304");
        List<String> objects = List.of("a.ndjson.gz", "b.ndjson", "corrupt.ndjson.gz", "dump.ndjson", "empty.ndjson",
                "empty.ndjson.gz", "long.ndjson");
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = runs(ferry);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() ->
                    objects.stream().allMatch(k -> succeeded(runs, f.bucket + "/incoming/" + k)));

            // every object marked done: moved from incoming/ to processed/
            await().atMost(Duration.ofSeconds(10)).until(() -> f.keys(f.bucket, "incoming/").size() == 1);
            assertThat(f.keys(f.bucket, "incoming/")).containsExactly("incoming/manifest.json");
            assertThat(f.keys(f.bucket, "processed/")).containsExactlyElementsOf(objects.stream().map(k -> "processed/" + k).toList());

            // every good document indexed exactly once
            long good = 1200 + 300 + readableCorrupt + 2 + 2;
            assertThat(f.count(f.index)).isEqualTo(good);
            assertThat(f.count(other)).isEqualTo(1);
            assertThat(f.rawSource(f.index, LineParser.derivedId(f.bucket, "incoming/b.ndjson", 1), null)).isPresent();
            // a dump line keeps its id and routing, and its _source bytes as read (95.0 stays 95.0)
            assertThat(f.rawSource(f.index, "d-1", "r7")).hasValue("{\"tag\":\"d\",\"price\":95.0,\"name\":\"caf\u00e9\"}");

            // every bad document in the dead-letter bucket, with its line and reason
            List<JsonNode> bDead = f.deadLetters("incoming/b.ndjson");
            assertThat(bDead).extracting(d -> d.at("/source/line").asLong()).containsExactlyInAnyOrder(10L, 20L, 30L, 40L, 50L);
            for (JsonNode d : bDead) {
                long line = d.at("/source/line").asLong();
                assertThat(d.at("/source/bucket").asText()).isEqualTo(f.bucket);
                assertThat(d.at("/source/key").asText()).isEqualTo("incoming/b.ndjson");
                if (line < 40) {
                    assertThat(d.at("/error/type").asText()).isEqualTo("invalid_json");
                    assertThat(d.at("/document_text").asText()).isEqualTo(b.get((int) line - 1));
                } else {
                    assertThat(d.at("/status").asInt()).isEqualTo(400);
                    assertThat(d.at("/error/type").asText()).isIn("mapper_parsing_exception", "document_parsing_exception");
                    assertThat(d.at("/error/reason").asText()).contains("price");
                    assertThat(d.at("/document/_id").asText()).isEqualTo(LineParser.derivedId(f.bucket, "incoming/b.ndjson", line));
                }
            }
            List<JsonNode> longDead = f.deadLetters("incoming/long.ndjson");
            assertThat(longDead).singleElement().satisfies(d -> {
                assertThat(d.at("/source/line").asLong()).isEqualTo(2);
                assertThat(d.at("/error/type").asText()).isEqualTo("line_too_long");
                assertThat(d.at("/document_bytes").asLong()).isEqualTo(tooBig.length() - 1);
            });
            // the corrupt object: readable part indexed, the object copied whole with its reason
            var copy = f.s3().headObject(h -> h.bucket(f.deadLetterBucket).key("incoming/corrupt.ndjson.gz"));
            assertThat(copy.contentLength()).isEqualTo(corrupt.length);
            assertThat(copy.metadata().get("ferry-reason")).startsWith("unreadable: corrupt gzip after line " + readableCorrupt);
            assertThat(f.keys(f.deadLetterBucket, "")).containsExactlyInAnyOrder("incoming/b.ndjson.dead-letters.ndjson",
                    "incoming/long.ndjson.dead-letters.ndjson", "incoming/corrupt.ndjson.gz");

            // the ledger: one balanced run per object
            assertRun(runs, f.bucket + "/incoming/a.ndjson.gz", 1200, 1200, 0);
            assertRun(runs, f.bucket + "/incoming/b.ndjson", 305, 300, 5);
            // the corrupt object is unmistakable: no pretend "1 record", but how far it was read and what was not
            assertRun(runs, f.bucket + "/incoming/corrupt.ndjson.gz", readableCorrupt, readableCorrupt, 0);
            assertThat(lastRun(runs, f.bucket + "/incoming/corrupt.ndjson.gz").orElseThrow().summary())
                    .contains("unreadable=\"corrupt gzip after line " + readableCorrupt)
                    .contains(readableCorrupt + " line(s) read before the damage; all " + corrupt.length
                            + " byte(s) (compressed) of the object were delivered: its content ends early");
            assertThat(copy.metadata()).containsEntry("ferry-lines-read", Long.toString(readableCorrupt))
                    .containsEntry("ferry-bytes-unread", "0");
            assertRun(runs, f.bucket + "/incoming/dump.ndjson", 3, 3, 0);
            assertRun(runs, f.bucket + "/incoming/empty.ndjson", 0, 0, 0);
            assertRun(runs, f.bucket + "/incoming/empty.ndjson.gz", 0, 0, 0);
            assertRun(runs, f.bucket + "/incoming/long.ndjson", 3, 2, 1);

            // and the metrics say the same
            long read = 1200 + 305 + readableCorrupt + 3 + 3;
            String metrics = ferry.get("metrics").body();
            assertThat(metrics)
                    .contains("ferry_records_read_total{pipeline=\"s3-to-opensearch\"} " + (double) read)
                    .contains("ferry_records_written_total{pipeline=\"s3-to-opensearch\"} " + (double) (good + 1))
                    .contains("ferry_records_dead_lettered_total{pipeline=\"s3-to-opensearch\"} 6.0")
                    .contains("ferry_objects_unreadable_total{pipeline=\"s3-to-opensearch\"} 1.0")
                    .contains("ferry_unread_bytes_total{pipeline=\"s3-to-opensearch\"} 0.0")
                    .contains("ferry_runs_succeeded_total{pipeline=\"s3-to-opensearch\"} 7.0")
                    .contains("ferry_runs_failed_total{pipeline=\"s3-to-opensearch\"} 0.0")
                    .doesNotContain(f.s3.secretKey());
        }
    }

    @Test
    void realRejectionsFromANodeWithATinyWriteQueueAreRetriedUntilEveryDocumentIsIndexed() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        try (OpenSearchNode busy = OpenSearchNode.start(OpenSearchLine.V2,
                Map.of("thread_pool.write.size", "1", "thread_pool.write.queue_size", "1"))) {
            S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), busy, "busy");
            // several shards, so one bulk request becomes several shard-level write tasks competing for the queue
            f.http("PUT", "/" + f.index, "{\"settings\":{\"number_of_shards\":6,\"number_of_replicas\":0}}");
            for (int i = 1; i <= 4; i++) {
                f.put("incoming/part-" + i + ".ndjson.gz", gzip(docs("p" + i, 5000)));
            }
            Map<String, String> overrides = f.overrides();
            overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "100");
            overrides.put("ferry.s3-to-opensearch.bulk-in-flight", "8");
            overrides.put("ferry.s3-to-opensearch.max-item-retries", "30");
            overrides.put("ferry.s3-to-opensearch.done-action", "delete");
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() ->
                        java.util.stream.IntStream.rangeClosed(1, 4)
                                .allMatch(i -> succeeded(runs, f.bucket + "/incoming/part-" + i + ".ndjson.gz")));
                assertThat(f.count(f.index)).isEqualTo(20_000);
                long retried = 0;
                for (int i = 1; i <= 4; i++) {
                    RunAccount run = lastRun(runs, f.bucket + "/incoming/part-" + i + ".ndjson.gz").orElseThrow();
                    assertThat(run.written()).isEqualTo(5000);
                    assertThat(run.deadLettered()).isZero();
                    retried += run.retried();
                }
                assertThat(retried).as("429 rejections were met and retried").isPositive();
                assertThat(f.keys(f.bucket, "")).isEmpty(); // done-action=delete
                assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
                String metrics = ferry.get("metrics").body();
                assertThat(metrics).contains("ferry_records_retried_total{pipeline=\"s3-to-opensearch\"} " + (double) retried);
                // the rejections are the cluster asking Ferry to slow down: each a retried item
                java.util.regex.Matcher throttled = java.util.regex.Pattern
                        .compile("ferry_throttled_total\\{pipeline=\"s3-to-opensearch\"} (\\S+)").matcher(metrics);
                assertThat(throttled.find()).as(metrics).isTrue();
                assertThat(Double.parseDouble(throttled.group(1))).isPositive().isLessThanOrEqualTo(retried);
            }
        }
    }

    @Test
    void aStopMidObjectThenANewStartLeavesNoDocumentMissingAndNoneDuplicated() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "kill");
        f.createIndex(f.index, MAPPING);
        // Big enough that the rest cannot be indexed within the 1 s shutdown grace below (60,000 could, once Ferry
        // got faster, and the stop then found nothing to interrupt).
        int n = 150_000;
        f.put("incoming/big.ndjson.gz", gzip(docs("big", n)));
        String subject = f.bucket + "/incoming/big.ndjson.gz";
        Map<String, String> overrides = f.overrides();
        overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "500");
        overrides.put("ferry.s3-to-opensearch.bulk-in-flight", "1");
        overrides.put("camel.main.shutdown-timeout", "1"); // do not let the object finish: stop it mid-way

        FerryUnderTest first = FerryUnderTest.start(overrides);
        RunAccount interrupted;
        try {
            Runs runs = runs(first);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20)).until(() ->
                    runs.active().stream().anyMatch(r -> r.subject().equals(subject) && r.written() >= 5000));
            interrupted = runs.active().stream().filter(r -> r.subject().equals(subject)).findFirst().orElseThrow();
        } finally {
            first.close();
        }
        assertThat(interrupted.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(interrupted.failure()).containsAnyOf("Ferry stopped", "Ferry is stopping", "Interrupted");
        assertThat(interrupted.written()).isLessThan(n);
        assertThat(f.keys(f.bucket, "incoming/")).containsExactly("incoming/big.ndjson.gz"); // not marked done
        long before = f.count(f.index);
        assertThat(before).isBetween(5000L, (long) n - 1);

        overrides.remove("camel.main.shutdown-timeout");
        try (FerryUnderTest second = FerryUnderTest.start(overrides)) {
            Runs runs = runs(second);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
            assertRun(runs, subject, n, n, 0);
            assertThat(f.count(f.index)).isEqualTo(n);
            // the object is moved once its run has balanced: a copy of the whole object, just after the run's end
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(f.keys(f.bucket, "processed/")).containsExactly("processed/big.ndjson.gz"));
            assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
        }
    }

    /**
     * Two thousand bulk requests from one object with one in flight. The bulk pool had no queue and a caller-runs
     * policy: each time it was busy, the split's next step ran inside the one before, so the stack grew with every
     * batch until the object's run stopped without a word.
     */
    @Test
    void anObjectOfTwoThousandBulkRequestsWithOneInFlightIsIndexedWhole() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "many");
        f.createIndex(f.index, MAPPING);
        int n = 100_000;
        f.put("incoming/many.ndjson.gz", gzip(docs("many", n)));
        String subject = f.bucket + "/incoming/many.ndjson.gz";
        Map<String, String> overrides = f.overrides();
        overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "50");
        overrides.put("ferry.s3-to-opensearch.bulk-in-flight", "1");
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = runs(ferry);
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
            assertRun(runs, subject, n, n, 0);
            RunAccount run = runs.finished().stream().filter(r -> r.subject().equals(subject)).findFirst().orElseThrow();
            assertThat(run.peakUnaccounted()).as("documents read and not yet indexed, at most a few bulk requests")
                    .isPositive().isLessThanOrEqualTo(3 * 50);
            assertThat(f.count(f.index)).isEqualTo(n);
        }
    }

    @Test
    void aKill9OfAFerryProcessAt256MbMidObjectThenARestartLeavesNoDocumentMissingAndNoneDuplicated() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "kill9");
        f.createIndex(f.index, MAPPING);
        int n = 100_000;
        f.put("incoming/big.ndjson.gz", gzip(docs("big", n)));
        String subject = f.bucket + "/incoming/big.ndjson.gz";
        Map<String, String> overrides = f.overrides();
        overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "500");
        overrides.put("ferry.s3-to-opensearch.bulk-in-flight", "1");

        // Ferry as its own process, started the way the launcher is, with the heap the issue asks for.
        Path log = Files.createTempFile("ferry-kill9-", ".log");
        Process ferry = FerryUnderTest.launchProcess(overrides, log);
        try {
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(50)).until(() -> f.count(f.index) >= 10_000);
        } finally {
            ferry.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            ferry.waitFor();
        }
        long before = f.count(f.index);
        assertThat(before).as("killed mid-object").isBetween(10_000L, (long) n - 1);
        assertThat(f.keys(f.bucket, "incoming/")).containsExactly("incoming/big.ndjson.gz");
        assertThat(Files.readString(log)).contains("run started pipeline=s3-to-opensearch").doesNotContain("run summary")
                .doesNotContain(f.s3.secretKey());

        try (FerryUnderTest restarted = FerryUnderTest.start(overrides)) {
            Runs runs = runs(restarted);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
            assertRun(runs, subject, n, n, 0);
            assertThat(f.count(f.index)).isEqualTo(n);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> // moved just after the run's end, as above
                    assertThat(f.keys(f.bucket, "processed/")).containsExactly("processed/big.ndjson.gz"));
            assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
        }
        Files.deleteIfExists(log);
    }

    @Test
    void anObjectWhoseWholeBulkRequestIsRefusedFailsItsRunLoudlyAndStaysInPlaceWithNothingDeadLettered() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "refused");
        f.put("incoming/a.ndjson.gz", gzip(docs("a", 50)));
        Map<String, String> overrides = f.overrides();
        // A real server that is not OpenSearch: S3Proxy answers POST /_bulk with 404 (no such bucket), a whole-request refusal.
        overrides.put("ferry.opensearch.hosts", f.s3.endpoint().getAuthority());
        overrides.put("ferry.s3-to-opensearch.poll-delay-ms", "600000");
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = runs(ferry);
            await().atMost(Duration.ofMinutes(1)).until(() -> lastRun(runs, subject).isPresent());
            RunAccount run = lastRun(runs, subject).orElseThrow();
            assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(run.failure()).contains("OpenSearch refused a bulk request for " + subject + " with status 404");
            assertThat(runs.active()).isEmpty();
            assertThat(f.keys(f.bucket, "")).containsExactly("incoming/a.ndjson.gz");
            assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
            assertThat(ferry.get("metrics").body())
                    .contains("ferry_runs_failed_total{pipeline=\"s3-to-opensearch\"} 1.0")
                    .contains("ferry_runs_in_progress{pipeline=\"s3-to-opensearch\"} 0.0");
        }
    }

    @Test
    void withDoneActionTagAnIndexedObjectStaysInPlaceTaggedAndIsNotReadAgain() throws Exception {
        EmbeddedServices services = EmbeddedServices.shared();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "tag");
        f.put("incoming/a.ndjson", docs("a", 10).getBytes());
        boolean tagging;
        try {
            f.s3().getObjectTagging(t -> t.bucket(f.bucket).key("incoming/a.ndjson"));
            tagging = true;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            tagging = false;
        }
        // S3Proxy 4.1 (filesystem) answers 501 Not Implemented to object tagging; AWS S3 and MinIO support it.
        org.junit.jupiter.api.Assumptions.assumeTrue(tagging, "this S3 does not implement object tagging");
        Map<String, String> overrides = f.overrides();
        overrides.put("ferry.s3-to-opensearch.done-action", "tag");
        String subject = f.bucket + "/incoming/a.ndjson";
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = runs(ferry);
            await().atMost(Duration.ofMinutes(1)).until(() -> succeeded(runs, subject));
            NotifyBuilder threeMorePolls = new NotifyBuilder(ferry.camelContext()).fromRoute("s3-to-opensearch-poll")
                    .whenCompleted(3).create();
            assertThat(threeMorePolls.matches(30, TimeUnit.SECONDS)).isTrue();
            assertThat(runs.finished().stream().filter(r -> r.subject().equals(subject)).count()).isEqualTo(1);
            assertThat(f.keys(f.bucket, "")).containsExactly("incoming/a.ndjson");
            assertThat(f.s3().getObjectTagging(t -> t.bucket(f.bucket).key("incoming/a.ndjson")).tagSet())
                    .anySatisfy(t -> assertThat(t.key() + "=" + t.value()).isEqualTo(S3Inbox.DONE_TAG + "=" + S3Inbox.DONE_VALUE));
            assertThat(f.count(f.index)).isEqualTo(10);
        }
    }

    @Test
    void theSameMixOfGoodAndBadDocumentsOnOpenSearch3() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(OpenSearchLine.V3.isAvailable(),
                () -> OpenSearchLine.V3.unavailableReason().orElse(""));
        EmbeddedServices services = EmbeddedServices.shared();
        OpenSearchNode node = services.openSearch(OpenSearchLine.V3);
        assertThat(node.version()).startsWith("3.");
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), node, "v3");
        f.createIndex(f.index, MAPPING);
        f.put("incoming/a.ndjson.gz", gzip(docs("a", 2000) + "{\"tag\":\"a\",\"price\":\"abc\"}\nnot json\n"));
        f.put("incoming/dump.ndjson", ("{\"_id\":\"d-1\",\"_routing\":\"r1\",\"_source\":{\"tag\":\"d\",\"price\":95.0}}\n").getBytes());
        Map<String, String> overrides = new HashMap<>(f.overrides());
        overrides.put("ferry.s3-to-opensearch.bulk-max-docs", "300");
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = runs(ferry);
            await().atMost(Duration.ofMinutes(2)).until(() -> succeeded(runs, f.bucket + "/incoming/a.ndjson.gz")
                    && succeeded(runs, f.bucket + "/incoming/dump.ndjson"));
            assertRun(runs, f.bucket + "/incoming/a.ndjson.gz", 2002, 2000, 2);
            assertThat(f.count(f.index)).isEqualTo(2001);
            assertThat(f.rawSource(f.index, "d-1", "r1")).hasValue("{\"tag\":\"d\",\"price\":95.0}");
            assertThat(f.deadLetters("incoming/a.ndjson.gz")).extracting(d -> d.at("/error/type").asText())
                    .containsExactlyInAnyOrder("invalid_json", "mapper_parsing_exception");
        }
    }

    private static void assertRun(Runs runs, String subject, long read, long written, long deadLettered) {
        RunAccount run = lastRun(runs, subject).orElseThrow(() -> new AssertionError("no run for " + subject));
        assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(run.read()).as(run.summary()).isEqualTo(read);
        assertThat(run.written()).as(run.summary()).isEqualTo(written);
        assertThat(run.deadLettered()).as(run.summary()).isEqualTo(deadLettered);
        assertThat(run.unaccounted()).isZero();
    }
}
