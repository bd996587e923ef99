package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A restore that lacks a whole part: every part that is there restores cleanly, so no part's run can see it; the
 * dump's manifest, checked against the parts restored and waiting, fails its run loudly, naming the part and its
 * documents, once (not at every listing). When the part is copied in after all, it is restored, the check succeeds
 * and the manifest moves under the processed prefix beside the parts: a complete dump again.
 */
class DumpRestoreCheckTest {

    @TempDir
    Path work;

    @Test
    void aRestoreLackingAPartFailsLoudlyUntilThePartIsThere() throws Exception {
        DumpFixture f = new DumpFixture("restore-check");
        int total = f.seed(400);
        try (FerryUnderTest dumper = FerryUnderTest.start(f.settings(work))) {
            RunAccount dump = OpenSearchToS3Test.dump(dumper, f.index);
            assertThat(dump.status()).as(dump.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
        }
        String folder = f.dumpFolders("dumps").get(0);
        JsonNode manifest = f.json(folder + "manifest.json");
        List<String> parts = new ArrayList<>();
        manifest.path("parts").forEach(p -> parts.add(p.path("key").asText().substring(folder.length())));
        assertThat(parts).hasSizeGreaterThan(2);
        String lacking = parts.get(1);
        long lackingDocuments = manifest.path("parts").get(1).path("documents").asLong();
        // the dump copied to where it is restored from, but for one part (as a copy cut short would leave it)
        for (String key : f.keys(folder)) {
            String name = key.substring(folder.length());
            if (!name.equals(lacking)) {
                copy(f, key, "restore/" + name);
            }
        }

        String restored = f.index + "-restored";
        f.http("PUT", "/" + restored, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},"
                + "\"mappings\":{\"dynamic\":false}}");
        Map<String, String> settings = f.restoreSettings("restore/", restored);
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "200");
        settings.put("ferry.s3-to-opensearch.restore-grace-seconds", "0");
        String manifestSubject = f.bucket + "/restore/manifest.json";
        try (FerryUnderTest restorer = FerryUnderTest.start(settings)) {
            Runs runs = restorer.bean("runs", Runs.class);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() ->
                    runs.finished().stream().anyMatch(r -> r.subject().equals(manifestSubject)));
            // every part there restored cleanly: no part's run could tell one is missing
            await().atMost(Duration.ofMinutes(1)).until(() -> f.keys("restore/").equals(List.of("restore/manifest.json")));
            List<RunAccount> partRuns = runs.finished().stream().filter(r -> !r.subject().equals(manifestSubject)).toList();
            assertThat(partRuns).hasSize(parts.size() - 1).allMatch(r -> r.status() == RunAccount.Status.SUCCEEDED);
            assertThat(partRuns.stream().mapToLong(RunAccount::written).sum()).isEqualTo(total - lackingDocuments);
            // the manifest's check says what is missing, loudly, and once: later listings find the same and stay quiet
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() ->
                    checks(runs, manifestSubject).size() == 1);
            RunAccount check = checks(runs, manifestSubject).get(0);
            assertThat(check.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(check.failure()).contains("restore of dump " + manifest.path("dumpId").asText() + " of index "
                    + f.index, "incomplete: 1 of its " + parts.size() + " part(s) neither waiting under " + f.bucket
                    + "/restore/ nor restored, " + lackingDocuments + " document(s) in all: " + lacking + " ("
                    + lackingDocuments + " document(s))");
            assertThat(f.keys("restore/")).as("the manifest stays until the restore is whole").containsExactly("restore/manifest.json");

            // the part arrives after all: restored, and the check passes
            copy(f, folder + lacking, "restore/" + lacking);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() ->
                    checks(runs, manifestSubject).size() == 2);
            assertThat(checks(runs, manifestSubject).get(1).status()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(runs.finished()).filteredOn(r -> r.subject().equals(f.bucket + "/restore/" + lacking))
                    .singleElement().satisfies(r -> assertThat(r.written()).isEqualTo(lackingDocuments));
        }
        assertThat(f.keys("restore/")).isEmpty();
        List<String> expected = new ArrayList<>();
        parts.forEach(p -> expected.add("restored/" + p));
        expected.add("restored/manifest.json");
        assertThat(f.keys("restored/")).as("the processed prefix holds the dump whole").containsExactlyInAnyOrderElementsOf(expected);
        f.http("POST", "/" + restored + "/_refresh", null);
        assertThat(DumpFixture.JSON.readTree(f.http("GET", "/" + restored + "/_count", null)).path("count").asLong())
                .isEqualTo(total);
    }

    private static List<RunAccount> checks(Runs runs, String manifestSubject) {
        return runs.finished().stream().filter(r -> r.subject().equals(manifestSubject)).toList();
    }

    private static void copy(DumpFixture f, String from, String to) {
        f.client().copyObject(b -> b.sourceBucket(f.bucket).sourceKey(from).destinationBucket(f.bucket).destinationKey(to));
    }
}
