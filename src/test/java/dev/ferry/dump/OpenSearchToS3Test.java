package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * opensearch-to-s3 against a real OpenSearch node and a real S3Proxy: the parts hold exactly the indexed documents
 * (sources byte for byte), the manifest counts them, and a dump that cannot finish leaves no manifest and a failed run.
 */
class OpenSearchToS3Test {

    @TempDir
    Path work;

    @Test
    void dumpsAwkwardDocumentsByteForByteAndTheManifestCountsThem() throws Exception {
        DumpFixture f = new DumpFixture("awkward");
        int total = f.seed(1_000);
        try (FerryUnderTest ferry = FerryUnderTest.start(f.settings(work))) {
            RunAccount run = dump(ferry, f.index);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.read()).isEqualTo(total);
            assertThat(run.written()).isEqualTo(total);

            List<String> folders = f.dumpFolders("dumps");
            assertThat(folders).hasSize(1);
            String folder = folders.get(0);
            JsonNode manifest = f.json(folder + "manifest.json");
            assertThat(manifest.path("index").asText()).isEqualTo(f.index);
            assertThat(manifest.path("documents").asLong()).isEqualTo(total);
            assertThat(manifest.path("documentsAtSnapshot").asLong()).isEqualTo(total);
            assertThat(f.keys(folder)).doesNotContain(folder + "checkpoint.json");

            List<String> lines = new ArrayList<>();
            long fromParts = 0;
            List<String> partKeys = new ArrayList<>();
            for (JsonNode part : manifest.path("parts")) {
                byte[] object = f.object(part.path("key").asText());
                assertThat(object.length).isEqualTo(part.path("bytes").asLong());
                assertThat(DumpFixture.sha256(object)).isEqualTo(part.path("sha256").asText());
                List<String> partLines = DumpFixture.lines(object);
                assertThat(partLines).hasSize(part.path("documents").asInt());
                fromParts += partLines.size();
                lines.addAll(partLines);
                partKeys.add(part.path("key").asText());
            }
            assertThat(fromParts).isEqualTo(total);
            assertThat(partKeys).allMatch(k -> k.matches(java.util.regex.Pattern.quote(folder) + "part-\\d{5}\\.ndjson\\.gz"));
            // the bucket holds exactly the manifest's parts and the manifest
            List<String> expectedKeys = new ArrayList<>(partKeys);
            expectedKeys.add(folder + "manifest.json");
            assertThat(f.keys(folder)).containsExactlyInAnyOrderElementsOf(expectedKeys);

            // byte for byte: every line is exactly {"_index","_id","_routing"?,"_source":<the indexed bytes>}
            assertThat(lines).hasSize(total).doesNotHaveDuplicates();
            assertThat(new HashSet<>(lines)).isEqualTo(new HashSet<>(f.expectedLines.values()));
            assertThat(lines).contains(f.expectedLines.get("float-95"), f.expectedLines.get("big-numbers"),
                    f.expectedLines.get("unicode"), f.expectedLines.get("routed-2"), f.expectedLines.get("large"));
            assertThat(f.expectedLines.get("float-95")).contains("\"score\":95.0,\"ratio\":1.10");

            assertThat(f.openPits()).as("points in time left open").isZero();
            String metrics = ferry.get("metrics").body();
            assertThat(metrics).contains("ferry_records_read_total{pipeline=\"opensearch-to-s3\"} " + total + ".0")
                    .contains("ferry_records_written_total{pipeline=\"opensearch-to-s3\"} " + total + ".0")
                    .contains("ferry_runs_succeeded_total{pipeline=\"opensearch-to-s3\"} 1.0")
                    .contains("ferry_dump_documents_snapshot{pipeline=\"opensearch-to-s3\"}")
                    .contains("ferry_dump_eta_seconds{pipeline=\"opensearch-to-s3\"}");
        }
    }

    /**
     * Two thousand parts from one slice with one upload in flight. The upload pool had no queue and a caller-runs
     * policy: each time it was busy, the split's next step ran inside the one before, and the stack grew with every
     * part until the dump stopped without a word.
     */
    @Test
    void aDumpOfTwoThousandPartsFromOneSliceCompletes() throws Exception {
        DumpFixture f = new DumpFixture("manyparts");
        int total = f.seed(10_000);
        Map<String, String> settings = new HashMap<>(f.settings(work));
        settings.put("ferry.opensearch-to-s3.slices", "1");
        settings.put("ferry.opensearch-to-s3.uploads-in-flight", "1");
        settings.put("ferry.opensearch-to-s3.part-max-docs", "5");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            RunAccount run = dump(ferry, f.index);
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.written()).isEqualTo(total);
            JsonNode manifest = f.json(f.dumpFolders("dumps").get(0) + "manifest.json");
            assertThat(manifest.path("parts").size()).as("parts (a few cut early by part-max-bytes)")
                    .isBetween((total + 4) / 5, (total + 4) / 5 + 10);
            long inParts = 0;
            for (JsonNode part : manifest.path("parts")) {
                inParts += part.path("documents").asLong();
            }
            assertThat(inParts).isEqualTo(total);
            assertThat(manifest.path("documents").asLong()).isEqualTo(total);
        }
    }

    /**
     * sort=auto on OpenSearch 2.x reads in doc order, one slice per shard (3 here). The first Ferry fails (it keeps
     * its point in time) and the test then releases the point in time, as its keep-alive would: the resume is the
     * expired case, the finished slices' parts stay, the unfinished slices are read again on a new point in time.
     */
    @Test
    void aDumpCutOffMidwayIsResumedFromItsCheckpointAndHoldsTheSameDocumentsAsAnUninterruptedOne() throws Exception {
        resumeHoldsTheSameDocumentsAsAnUninterruptedDump("auto", "_doc");
    }

    /** sort=_id: after the point in time expired, every slice continues by _id position on a new one. */
    @Test
    void aDumpSortedByIdIsResumedByIdPositionAfterItsPointInTimeExpired() throws Exception {
        resumeHoldsTheSameDocumentsAsAnUninterruptedDump("_id", "_id");
    }

    private void resumeHoldsTheSameDocumentsAsAnUninterruptedDump(String sort, String expectedSort) throws Exception {
        DumpFixture f = new DumpFixture("resume");
        int total = f.seed(20_000);
        Map<String, String> base = new HashMap<>(f.settings(work));
        base.put("ferry.opensearch-to-s3.sort", sort);
        base.put("ferry.opensearch-to-s3.slices", "3");
        try (FaultProxy proxy = new FaultProxy(f.s3.endpoint())) {
            Map<String, String> settings = new HashMap<>(base);
            settings.put("ferry.s3.endpoint", proxy.endpoint().toString());
            // the first Ferry reads its slices one after another, so that it is cut off with one slice finished
            settings.put("camel.threadpool.config[opensearchToS3SlicePool].pool-size", "1");
            settings.put("camel.threadpool.config[opensearchToS3SlicePool].max-pool-size", "1");
            settings.put("camel.threadpool.config[opensearchToS3SlicePool].max-queue-size", "10");
            try (FerryUnderTest first = FerryUnderTest.start(settings)) {
                CompletableFuture<RunAccount> dump = dumpAsync(first, f.index);
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .until(() -> oneSliceFinished(f));
                proxy.refuse(); // S3 gone for good: connections dropped, new ones refused
                RunAccount run = dump.get(120, TimeUnit.SECONDS);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.FAILED);
            }
        }
        String folder = f.dumpFolders("dumps").get(0);
        JsonNode checkpoint = f.json(folder + "checkpoint.json");
        // the failed dump kept its point in time for a resume; expire it now, as its keep-alive would
        assertThat(f.pitAlive(checkpoint.path("pitId").asText())).as("point in time kept by the failed dump").isTrue();
        f.closePit(checkpoint.path("pitId").asText());
        assertThat(checkpoint.path("sort").asText()).isEqualTo(expectedSort);
        assertThat(checkpoint.path("documents").asLong()).isPositive().isLessThan(total);
        assertThat(checkpoint.path("slicePositions").findValues("done")).contains(
                com.fasterxml.jackson.databind.node.BooleanNode.TRUE, com.fasterxml.jackson.databind.node.BooleanNode.FALSE);
        // what the resume keeps: everything committed (by _id position), or only the finished slices' parts
        Set<Integer> finished = new HashSet<>();
        for (JsonNode p : checkpoint.path("slicePositions")) {
            if (p.path("done").asBoolean()) {
                finished.add(p.path("slice").asInt());
            }
        }
        long resumedFrom = 0;
        List<String> keptParts = new ArrayList<>();
        for (JsonNode part : checkpoint.path("parts")) {
            if (expectedSort.equals("_id") || finished.contains(part.path("slice").asInt())) {
                resumedFrom += part.path("documents").asLong();
                keptParts.add(part.path("key").asText());
            }
        }

        // a new Ferry process (the old one is gone, and so is its point in time) resumes the unfinished dump of its
        // configured index as it starts (opensearch-to-s3-resume-unfinished), not at the next scheduled time (2099 here)
        try (FerryUnderTest second = FerryUnderTest.start(base)) {
            Runs runs = second.bean("runs", Runs.class);
            await().atMost(Duration.ofMinutes(2)).until(() -> !runs.finished().isEmpty());
            assertThat(runs.finished()).as("one dump, begun by the start alone").hasSize(1);
            RunAccount resumed = runs.finished().get(0);
            assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(resumed.subject()).contains("(resumed)");
            assertThat(resumed.read()).isEqualTo(total - resumedFrom);
            assertThat(resumed.written()).isEqualTo(total - resumedFrom);
            assertThat(f.dumpFolders("dumps")).containsExactly(folder);

            JsonNode manifest = f.json(folder + "manifest.json");
            assertThat(manifest.path("pointInTimeRenewedAt")).as("the renewal is recorded").hasSize(1);
            List<String> manifestParts = new ArrayList<>();
            manifest.path("parts").forEach(p -> manifestParts.add(p.path("key").asText()));
            assertThat(manifestParts).containsAll(keptParts);
            List<String> expectedKeys = new ArrayList<>(manifestParts);
            expectedKeys.add(folder + "manifest.json");
            assertThat(f.keys(folder)).as("only the manifest's parts are left").containsExactlyInAnyOrderElementsOf(expectedKeys);
            List<String> lines = linesOf(f, folder);
            assertThat(lines).hasSize(total).doesNotHaveDuplicates();
            assertThat(manifest.path("documents").asLong()).isEqualTo(total);

            // the next dump of the index is a new, uninterrupted one: same documents, line for line
            RunAccount again = dump(second, f.index);
            assertThat(again.status()).as(again.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            List<String> folders = f.dumpFolders("dumps");
            assertThat(folders).hasSize(2);
            List<String> uninterrupted = linesOf(f, folders.get(1).equals(folder) ? folders.get(0) : folders.get(1));
            assertThat(new HashSet<>(lines)).isEqualTo(new HashSet<>(uninterrupted))
                    .isEqualTo(new HashSet<>(f.expectedLines.values()));
            assertThat(f.openPits()).as("points in time left open").isZero();
        }
    }

    private static boolean oneSliceFinished(DumpFixture f) throws Exception {
        for (String folder : f.dumpFolders("dumps")) {
            if (f.keys(folder).contains(folder + "checkpoint.json")) {
                return f.json(folder + "checkpoint.json").path("slicePositions").findValues("done").stream()
                        .anyMatch(JsonNode::asBoolean);
            }
        }
        return false;
    }

    /** OpenSearch 3.x: sort=auto reads by _shard_doc; the dump is complete and byte for byte. */
    @Test
    void dumpsFromOpenSearch3ByShardDocByteForByte() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.ferry.embedded.OpenSearchLine.V3.isAvailable(),
                () -> "OpenSearch 3.x unavailable: " + dev.ferry.embedded.OpenSearchLine.V3.unavailableReason().orElse(""));
        DumpFixture f = new DumpFixture("os3", dev.ferry.embedded.OpenSearchLine.V3);
        int total = f.seed(5_000);
        try (FerryUnderTest ferry = FerryUnderTest.start(f.settings(work))) {
            RunAccount run = dump(ferry, f.index);
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.read()).isEqualTo(total);
            String folder = f.dumpFolders("dumps").get(0);
            JsonNode manifest = f.json(folder + "manifest.json");
            assertThat(manifest.path("sort").asText()).isEqualTo("_shard_doc");
            assertThat(manifest.path("documents").asLong()).isEqualTo(total);
            long fromParts = 0;
            for (JsonNode part : manifest.path("parts")) {
                byte[] object = f.object(part.path("key").asText());
                assertThat(DumpFixture.sha256(object)).isEqualTo(part.path("sha256").asText());
                fromParts += part.path("documents").asLong();
            }
            assertThat(fromParts).isEqualTo(total);
            List<String> lines = linesOf(f, folder);
            assertThat(lines).hasSize(total).doesNotHaveDuplicates();
            assertThat(new HashSet<>(lines)).isEqualTo(new HashSet<>(f.expectedLines.values()));
            assertThat(lines).contains(f.expectedLines.get("float-95"), f.expectedLines.get("big-numbers"),
                    f.expectedLines.get("unicode"), f.expectedLines.get("routed-2"), f.expectedLines.get("large"));
            assertThat(f.openPits()).as("points in time left open").isZero();
        }
    }

    @Test
    void aFirstHostThatCannotBeReachedIsSkippedAndTheDumpIsReadFromTheNext() throws Exception {
        DumpFixture f = new DumpFixture("failover");
        int total = f.seed(300);
        Map<String, String> settings = new HashMap<>(f.settings(work));
        settings.put("ferry.opensearch.hosts", "127.0.0.1:" + FerryUnderTest.freePort() + "," + f.openSearch.hostAddress());
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            RunAccount run = dump(ferry, f.index);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.written()).isEqualTo(total);
            String folder = f.dumpFolders("dumps").get(0);
            assertThat(f.json(folder + "manifest.json").path("documents").asLong()).isEqualTo(total);
            assertThat(new HashSet<>(linesOf(f, folder))).isEqualTo(new HashSet<>(f.expectedLines.values()));
            assertThat(f.openPits()).as("points in time left open").isZero();
        }
    }

    @Test
    void oneShotModeDumpsTheIndexThenExitsZeroAndOneWhenTheDumpFails() throws Exception {
        DumpFixture f = new DumpFixture("oneshot");
        int total = f.seed(300);
        Map<String, String> settings = new HashMap<>(f.settings(work));
        settings.put("ferry.opensearch-to-s3.one-shot", "true");
        assertThat(runToExit(settings)).isZero();
        String folder = f.dumpFolders("dumps").get(0);
        assertThat(f.json(folder + "manifest.json").path("documents").asLong()).isEqualTo(total);

        settings.put("ferry.opensearch-to-s3.destination", "s3://" + f.bucket + "-missing/dumps");
        assertThat(runToExit(settings)).isEqualTo(1);
    }

    /** The S3 readiness check looks for the destination's bucket: a bucket that is not there keeps Ferry not ready. */
    @Test
    void theReadinessCheckLooksForTheDestinationsBucket() throws Exception {
        DumpFixture f = new DumpFixture("ready");
        Map<String, String> settings = new HashMap<>(f.settings(work));
        settings.put("ferry.opensearch-to-s3.destination", "s3://" + f.bucket + "-absent/dumps");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            org.apache.camel.health.HealthCheck.Result s3 = s3Check(ferry).call();
            assertThat(s3.getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.DOWN);
            assertThat(s3.getDetails()).containsEntry("bucket", f.bucket + "-absent");
        }
        try (FerryUnderTest ferry = FerryUnderTest.start(f.settings(work))) {
            org.apache.camel.health.HealthCheck.Result s3 = s3Check(ferry).call();
            assertThat(s3.getState()).isEqualTo(org.apache.camel.health.HealthCheck.State.UP);
            assertThat(s3.getDetails()).containsEntry("bucket", f.bucket);
        }
    }

    private static org.apache.camel.health.HealthCheck s3Check(FerryUnderTest ferry) {
        return org.apache.camel.health.HealthCheckRegistry.get(ferry.camelContext()).getCheck("s3").orElseThrow();
    }

    static int runToExit(Map<String, String> overrides) throws Exception {
        Map<String, String> all = new HashMap<>(overrides);
        int port = FerryUnderTest.freePort();
        all.put("ferry.routes-dir", FerryUnderTest.PROJECT_DIR.resolve("routes").toString());
        all.put("ferry.management.port", String.valueOf(port));
        all.put("camel.management.host", "127.0.0.1");
        all.put("ferry.db.url", "jdbc:h2:mem:ferry-" + port + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE;DB_CLOSE_DELAY=-1");
        dev.ferry.Ferry ferry = dev.ferry.Ferry.create(dev.ferry.config.FerryConfig.load(
                FerryUnderTest.PROJECT_DIR.resolve("application.properties"), null, Map.of(), all));
        return CompletableFuture.supplyAsync(() -> {
            try {
                return ferry.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).get(120, TimeUnit.SECONDS);
    }

    static List<String> linesOf(DumpFixture f, String folder) throws Exception {
        List<String> lines = new ArrayList<>();
        for (JsonNode part : f.json(folder + "manifest.json").path("parts")) {
            lines.addAll(DumpFixture.lines(f.object(part.path("key").asText())));
        }
        return lines;
    }

    static RunAccount dump(FerryUnderTest ferry, String index) {
        ProducerTemplate producer = ferry.camelContext().createProducerTemplate();
        return producer.requestBody("direct:opensearch-to-s3-dump", new OpenSearchDumps.DumpRequest(index, null),
                RunAccount.class);
    }

    static CompletableFuture<RunAccount> dumpAsync(FerryUnderTest ferry, String index) {
        return CompletableFuture.supplyAsync(() -> dump(ferry, index));
    }
}
