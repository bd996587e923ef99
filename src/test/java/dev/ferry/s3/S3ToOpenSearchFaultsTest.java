package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.builder.NotifyBuilder;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.ferry.s3.S3ToOpenSearchFixture.docs;
import static dev.ferry.s3.S3ToOpenSearchFixture.gzip;
import static dev.ferry.s3.S3ToOpenSearchFixture.lastRun;
import static dev.ferry.s3.S3ToOpenSearchFixture.runs;
import static dev.ferry.s3.S3ToOpenSearchFixture.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The faults of issue #10, each against real servers with a fault-injecting TCP proxy between Ferry and S3Proxy or
 * OpenSearch, with retry budgets and timeouts cut to seconds. Whatever the fault, the end is one of two: the object
 * indexed whole, every document once, nothing dead-lettered; or the run failed loudly, the object left in place, and a
 * later poll indexed it whole. A transport or cluster failure never lands in the dead-letter bucket.
 */
class S3ToOpenSearchFaultsTest {

    private static final String MAPPING = "{\"tag\":{\"type\":\"keyword\"},\"n\":{\"type\":\"long\"},"
            + "\"price\":{\"type\":\"long\"},\"name\":{\"type\":\"text\"},\"blob\":{\"type\":\"keyword\",\"index\":false,\"doc_values\":false}}";
    private static final Duration LONG = Duration.ofMinutes(2);

    private final EmbeddedServices services = EmbeddedServices.shared();

    /** Short budgets: a bulk request waits 2 s, is tried 3 times; a broken download is resumed up to 4 times. */
    private static Map<String, String> quick(S3ToOpenSearchFixture f) {
        Map<String, String> o = f.overrides();
        o.put("ferry.s3-to-opensearch.bulk-max-docs", "500");
        o.put("ferry.s3-to-opensearch.bulk-in-flight", "1");
        o.put("ferry.s3-to-opensearch.request-timeout-ms", "2000");
        o.put("ferry.s3-to-opensearch.max-item-retries", "2");
        o.put("ferry.s3-to-opensearch.retry-initial-delay-ms", "50");
        o.put("ferry.s3-to-opensearch.retry-max-delay-ms", "300");
        o.put("ferry.s3-to-opensearch.s3-resume-attempts", "4");
        o.put("ferry.s3.socket-timeout-ms", "1000");
        return o;
    }

    @Test
    void openSearchStalledLongerThanTheRetryBudgetMidObjectFailsTheRunAndALaterPollIndexesTheObjectWhole() throws Exception {
        OpenSearchNode node = services.openSearch();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), node, "os-stall");
        f.createIndex(f.index, MAPPING);
        int n = 15_000;
        f.put("incoming/a.ndjson.gz", gzip(docs("a", n)));
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy openSearch = new FaultProxy(URI.create(node.url()))) {
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.opensearch.hosts", openSearch.hostAddress());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                awaitMidObject(runs, subject);
                openSearch.stall(); // paused: connections open, no answer

                RunAccount failed = awaitFirstRun(runs, subject);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).containsAnyOf("OpenSearch did not take", "OpenSearch failing")
                        .contains("SocketTimeoutException");
                assertThat(failed.written()).isLessThan(n);
                assertFailedRunLeftNoTrace(f, "incoming/a.ndjson.gz");
                OpenSearchGate gate = ferry.bean("s3ToOpenSearchGate", OpenSearchGate.class);
                await().atMost(Duration.ofSeconds(30)).until(() -> gate.paused() != null);

                openSearch.unstall();
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
            }
        }
    }

    @Test
    void openSearchRefusingConnectionsLongerThanTheBudgetFailsTheRunPausesPollingAndResumesWhenItIsBack() throws Exception {
        OpenSearchNode node = services.openSearch();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), node, "os-down");
        f.createIndex(f.index, MAPPING);
        int n = 15_000;
        f.put("incoming/a.ndjson.gz", gzip(docs("a", n)));
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy openSearch = new FaultProxy(URI.create(node.url()))) {
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.opensearch.hosts", openSearch.hostAddress());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                awaitMidObject(runs, subject);
                openSearch.refuse(); // killed: connection refused

                RunAccount failed = awaitFirstRun(runs, subject);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).containsAnyOf("OpenSearch did not take", "OpenSearch failing");
                assertFailedRunLeftNoTrace(f, "incoming/a.ndjson.gz");

                // while it is down, polls skip the listing: the object is not cycled through failing runs
                OpenSearchGate gate = ferry.bean("s3ToOpenSearchGate", OpenSearchGate.class);
                await().atMost(Duration.ofSeconds(30)).until(() -> gate.paused() != null);
                assertThat(gate.paused()).contains("OpenSearch not reachable");
                NotifyBuilder threePolls = new NotifyBuilder(ferry.camelContext()).fromRoute("s3-to-opensearch-poll")
                        .whenCompleted(3).create();
                assertThat(threePolls.matches(30, TimeUnit.SECONDS)).isTrue();
                assertThat(runs.finished().stream().filter(r -> r.subject().equals(subject)).count()).isEqualTo(1);
                assertThat(runs.active()).isEmpty();

                openSearch.restore();
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
                assertThat(gate.paused()).isNull();
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
            }
        }
    }

    @Test
    void openSearchAnswering503ToWholeRequestsFailsTheRunWithoutDeadLettersAndALaterPollIndexesTheObjectWhole() throws Exception {
        OpenSearchNode node = services.openSearch();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), node, "os-503");
        f.createIndex(f.index, MAPPING);
        int n = 15_000;
        f.put("incoming/a.ndjson.gz", gzip(docs("a", n)));
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy openSearch = new FaultProxy(URI.create(node.url()))) {
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.opensearch.hosts", openSearch.hostAddress());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                awaitMidObject(runs, subject);
                openSearch.answer503(true);

                RunAccount failed = awaitFirstRun(runs, subject);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).contains("http_503");
                assertThat(openSearch.answered503()).isPositive();
                assertFailedRunLeftNoTrace(f, "incoming/a.ndjson.gz");
                OpenSearchGate gate = ferry.bean("s3ToOpenSearchGate", OpenSearchGate.class);
                await().atMost(Duration.ofSeconds(30)).until(() -> gate.paused() != null);
                assertThat(gate.paused()).contains("answered 503");

                openSearch.answer503(false);
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
            }
        }
    }

    /** A download that goes silent (read timeout), then one that is reset: both resumed, the object indexed whole. */
    @Test
    void s3StalledThenCutMidObjectIsResumedAndTheRunSucceedsWithEveryDocumentOnceAndNoDeadLetter() throws Exception {
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "s3-cut");
        f.createIndex(f.index, MAPPING);
        int n = 24_000;
        byte[] gz = gzip(docs("a", n));
        f.put("incoming/a.ndjson.gz", gz);
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy s3 = new FaultProxy(f.s3.endpoint())) {
            s3.stallAfter(gz.length / 4); // the first GET goes silent a quarter in
            s3.cutAfter(gz.length / 3);   // the resumed one is reset a third further
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.s3.endpoint", s3.endpoint().toString());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> lastRun(runs, subject).isPresent());
                RunAccount run = lastRun(runs, subject).orElseThrow();
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(s3.stallsHit()).as("the silent download was met").isEqualTo(1);
                assertThat(s3.cuts()).as("the reset was met").isEqualTo(1);
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
            }
        }
    }

    /**
     * No fault but a slow OpenSearch: while a bulk request takes its time the reader is held back, its S3 GET sits idle,
     * and the server closes it (S3Proxy's Jetty after 30 s, here the proxy after 300 ms). The download is resumed.
     */
    @Test
    void anS3DownloadClosedForIdlingWhileOpenSearchIsSlowIsResumedAndTheRunSucceeds() throws Exception {
        OpenSearchNode node = services.openSearch();
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), node, "s3-idle");
        f.createIndex(f.index, MAPPING);
        // Random payloads barely compress, and S3 answers at 1 MB/s, so the reader keeps up and its socket's receive
        // buffer never grows: when the reader stops, the GET is mid-response with most of the object still to come.
        int n = 16_000;
        Random random = new Random(10);
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            text.append("{\"tag\":\"idle\",\"n\":").append(i).append(",\"blob\":\"");
            for (int j = 0; j < 20; j++) {
                text.append(Long.toHexString(random.nextLong()));
            }
            text.append("\"}\n");
        }
        byte[] gz = gzip(text.toString());
        f.put("incoming/idle.ndjson.gz", gz);
        String subject = f.bucket + "/incoming/idle.ndjson.gz";
        try (FaultProxy openSearch = new FaultProxy(URI.create(node.url())); FaultProxy s3 = new FaultProxy(f.s3.endpoint())) {
            s3.closeIdleAfter(300);
            s3.limitResponseRate(1024 * 1024);
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.opensearch.hosts", openSearch.hostAddress());
            overrides.put("ferry.s3.endpoint", s3.endpoint().toString());
            overrides.put("ferry.s3-to-opensearch.request-timeout-ms", "30000"); // slow, not failing
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                awaitMidObject(runs, subject);
                openSearch.stall();
                try {
                    await().atMost(Duration.ofSeconds(20)).until(() -> s3.idleClosesMidResponse() >= 1);
                } finally {
                    openSearch.unstall();
                }
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> lastRun(runs, subject).isPresent());
                RunAccount run = lastRun(runs, subject).orElseThrow();
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertCompletedWhole(f, ferry, subject, "incoming/idle.ndjson.gz", n);
            }
        }
    }

    @Test
    void s3UnreachableLongerThanTheResumeBudgetFailsTheRunAndTheObjectIsIndexedWholeWhenS3IsBack() throws Exception {
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "s3-down");
        f.createIndex(f.index, MAPPING);
        int n = 24_000;
        byte[] gz = gzip(docs("a", n));
        f.put("incoming/a.ndjson.gz", gz);
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy s3 = new FaultProxy(f.s3.endpoint())) {
            s3.stallAfter(gz.length / 3);
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.s3.endpoint", s3.endpoint().toString());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                await().atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() -> s3.stallsHit() == 1);
                s3.refuse(); // killed mid-object

                RunAccount failed = awaitFirstRun(runs, subject);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).contains("could not be resumed in 4 attempt(s)");
                assertThat(failed.unreadable()).isNull();
                assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
                assertThat(f.keys(f.bucket, "")).containsExactly("incoming/a.ndjson.gz");

                s3.restore();
                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
            }
        }
    }

    /** A download breaks, and meanwhile the object was replaced: the resume is refused (412), never spliced. */
    @Test
    void anObjectReplacedWhileItsDownloadIsBrokenFailsTheRunAndItsNewVersionIsIndexedWholeLater() throws Exception {
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "s3-412");
        f.createIndex(f.index, MAPPING);
        int n = 24_000;
        byte[] first = gzip(docs("old", n));
        f.put("incoming/a.ndjson.gz", first);
        String subject = f.bucket + "/incoming/a.ndjson.gz";
        try (FaultProxy s3 = new FaultProxy(f.s3.endpoint())) {
            s3.stallAfter(first.length / 3);
            Map<String, String> overrides = quick(f);
            overrides.put("ferry.s3.endpoint", s3.endpoint().toString());
            overrides.put("ferry.s3.socket-timeout-ms", "3000"); // time to replace the object while the GET is silent
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                Runs runs = runs(ferry);
                await().atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() -> s3.stallsHit() == 1);
                f.put("incoming/a.ndjson.gz", gzip(docs("new", n)));

                RunAccount failed = awaitFirstRun(runs, subject);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).contains("changed while it was read").contains("412");
                assertThat(failed.read()).isLessThan(n);
                assertFailedRunLeftNoTrace(f, "incoming/a.ndjson.gz");

                await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
                assertCompletedWhole(f, ferry, subject, "incoming/a.ndjson.gz", n);
                // the lines of the old version read before the break were overwritten (same ids) by the new version
                var tagged = f.http("POST", "/" + f.index + "/_count", "{\"query\":{\"term\":{\"tag\":\"new\"}}}");
                assertThat(S3ToOpenSearchFixture.JSON.readTree(tagged.body()).get("count").asLong()).isEqualTo(n);
            }
        }
    }

    /**
     * A write block answers every item with 403 cluster_block_exception: about the index, not the documents. The run
     * fails (nothing dead-lettered, not even the documents that are bad on their own); once the block is lifted, the
     * object is indexed, and only its bad documents are dead-lettered, once each.
     */
    @Test
    void aWriteBlockedIndexFailsTheRunWithoutDeadLettersAndOnlyTheTrulyBadDocumentsAreDeadLetteredOnceWhenLifted() throws Exception {
        S3ToOpenSearchFixture f = new S3ToOpenSearchFixture(services.s3(), services.openSearch(), "block");
        f.createIndex(f.index, MAPPING);
        block(f, true);
        int good = 2000;
        String text = docs("b", good) + "{\"tag\":\"b\",\"n\":9001,\"price\":\"abc\"}\n{\"tag\":\"b\",\"n\":9002,\"price\":{\"x\":1}}\n";
        f.put("incoming/b.ndjson.gz", gzip(text));
        String subject = f.bucket + "/incoming/b.ndjson.gz";
        try (FerryUnderTest ferry = FerryUnderTest.start(quick(f))) {
            Runs runs = runs(ferry);
            RunAccount failed = awaitFirstRun(runs, subject);
            assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(failed.failure()).contains("cluster_block_exception");
            assertThat(failed.written()).isZero();
            assertFailedRunLeftNoTrace(f, "incoming/b.ndjson.gz");

            block(f, false);
            await().atMost(LONG).pollInterval(Duration.ofMillis(200)).until(() -> succeeded(runs, subject));
            RunAccount run = lastRun(runs, subject).orElseThrow();
            assertThat(run.read()).isEqualTo(good + 2);
            assertThat(run.written()).isEqualTo(good);
            assertThat(run.deadLettered()).isEqualTo(2);
            assertThat(f.count(f.index)).isEqualTo(good);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(f.keys(f.bucket, "")).containsExactly("processed/b.ndjson.gz"));
            assertThat(f.deadLetters("incoming/b.ndjson.gz")).hasSize(2).allSatisfy(d -> {
                assertThat(d.at("/error/type").asText()).isIn("mapper_parsing_exception", "document_parsing_exception");
                assertThat(d.at("/status").asInt()).isEqualTo(400);
            }).extracting(d -> d.at("/source/line").asLong()).containsExactlyInAnyOrder(good + 1L, good + 2L);
            assertThat(f.keys(f.deadLetterBucket, "")).containsExactly("incoming/b.ndjson.gz.dead-letters.ndjson");
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void block(S3ToOpenSearchFixture f, boolean on) throws Exception {
        var r = f.http("PUT", "/" + f.index + "/_settings", "{\"index.blocks.write\":" + on + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static void awaitMidObject(Runs runs, String subject) {
        await().atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() ->
                runs.active().stream().anyMatch(r -> r.subject().equals(subject) && r.written() >= 2000));
    }

    private static RunAccount awaitFirstRun(Runs runs, String subject) {
        await().atMost(LONG).pollInterval(Duration.ofMillis(100)).until(() -> lastRun(runs, subject).isPresent());
        return runs.finished().stream().filter(r -> r.subject().equals(subject)).findFirst().orElseThrow();
    }

    /** A failed run leaves the object where it was and nothing in the dead-letter bucket. */
    private static void assertFailedRunLeftNoTrace(S3ToOpenSearchFixture f, String key) {
        assertThat(f.keys(f.bucket, "")).containsExactly(key);
        assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
    }

    /**
     * The object's last run balanced with every line indexed, the index holds exactly its n documents (count, and
     * n's sum, min and max: every line once, none twice, no other), the object is moved, nothing is dead-lettered.
     */
    private static void assertCompletedWhole(S3ToOpenSearchFixture f, FerryUnderTest ferry, String subject, String key, int n)
            throws Exception {
        RunAccount run = lastRun(runs(ferry), subject).orElseThrow();
        assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(run.read()).as(run.summary()).isEqualTo(n);
        assertThat(run.written()).as(run.summary()).isEqualTo(n);
        assertThat(run.deadLettered()).as(run.summary()).isZero();
        assertThat(run.unreadable()).as(run.summary()).isNull();
        assertThat(f.count(f.index)).isEqualTo(n);
        JsonNode aggs = S3ToOpenSearchFixture.JSON.readTree(f.http("POST", "/" + f.index + "/_search",
                "{\"size\":0,\"aggs\":{\"sum\":{\"sum\":{\"field\":\"n\"}},\"min\":{\"min\":{\"field\":\"n\"}},"
                        + "\"max\":{\"max\":{\"field\":\"n\"}}}}").body()).get("aggregations");
        assertThat(aggs.at("/sum/value").asDouble()).isEqualTo(n * (n + 1.0) / 2);
        assertThat(aggs.at("/min/value").asDouble()).isEqualTo(1.0);
        assertThat(aggs.at("/max/value").asDouble()).isEqualTo((double) n);
        for (long line : new long[] {1, n / 2, n}) {
            assertThat(f.rawSource(f.index, LineParser.derivedId(f.bucket, key, line), null)).isPresent();
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> // moved just after the run's end
                assertThat(f.keys(f.bucket, "")).containsExactly("processed/" + key.substring("incoming/".length())));
        assertThat(f.keys(f.deadLetterBucket, "")).isEmpty();
        assertThat(ferry.get("metrics").body())
                .contains("ferry_records_dead_lettered_total{pipeline=\"s3-to-opensearch\"} 0.0")
                .contains("ferry_objects_unreadable_total{pipeline=\"s3-to-opensearch\"} 0.0");
    }
}
