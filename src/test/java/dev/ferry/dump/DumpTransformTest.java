package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.accounting.RunAccount;
import dev.ferry.examples.ExampleRoutes;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * opensearch-to-s3's transform stage, through the cookbook's dump-for-sharing route, against the real OpenSearch node
 * and S3Proxy: the parts hold exactly the documents kept, as the transform left them; the dead letters lie beside
 * their parts with the reason; the manifest and the run say written + filtered + dead-lettered = the snapshot.
 */
class DumpTransformTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void theDumpHoldsWhatTheTransformKeptAndAccountsForEveryHit() throws Exception {
        DumpFixture f = new DumpFixture("transform");
        int total = f.seed(300); // 300 plain documents (n, price n % 100, name) and 9 awkward ones
        int withoutN = total - 300 - 2; // all awkward ones but routed-1 and routed-2 ({"tenant","n"})
        try (FerryUnderTest ferry = FerryUnderTest.start(withDumpForSharing(f, work))) {
            RunAccount run = OpenSearchToS3Test.dump(ferry, f.index);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.read()).isEqualTo(total);
            assertThat(run.filtered()).as("price 90..99").isEqualTo(30);
            assertThat(run.deadLettered()).as("no n").isEqualTo(withoutN);
            assertThat(run.written()).isEqualTo(total - 30 - withoutN);

            String folder = f.dumpFolders("dumps").get(0);
            JsonNode manifest = f.json(folder + "manifest.json");
            assertThat(manifest.path("documentsAtSnapshot").asLong()).isEqualTo(total);
            assertThat(manifest.path("documents").asLong()).isEqualTo(total - 30 - withoutN);
            assertThat(manifest.path("filtered").asLong()).isEqualTo(30);
            assertThat(manifest.path("deadLettered").asLong()).isEqualTo(withoutN);

            List<JsonNode> kept = new ArrayList<>();
            List<JsonNode> dead = new ArrayList<>();
            long partsFiltered = 0;
            for (JsonNode part : manifest.path("parts")) {
                List<String> lines = DumpFixture.lines(f.object(part.path("key").asText()));
                assertThat(lines).hasSize(part.path("documents").asInt());
                for (String line : lines) {
                    kept.add(JSON.readTree(line));
                }
                partsFiltered += part.path("filtered").asLong();
                if (part.has("deadLettersKey")) {
                    List<String> letters = DumpFixture.lines(f.object(part.path("deadLettersKey").asText()));
                    assertThat(letters).hasSize(part.path("deadLettered").asInt());
                    for (String line : letters) {
                        dead.add(JSON.readTree(line));
                    }
                }
            }
            assertThat(partsFiltered).isEqualTo(30);
            assertThat(kept).hasSize(272);
            assertThat(kept).extracting(doc -> doc.path("_id").asText()).contains("routed-1", "routed-2");
            assertThat(kept).filteredOn(doc -> doc.path("_id").asText().startsWith("doc-")).hasSize(270).allSatisfy(doc -> {
                assertThat(doc.at("/_source/price").asDouble()).isLessThan(90);
                assertThat(doc.at("/_source/name").asText()).matches("[0-9a-f]{32}");
                assertThat(doc.at("/_source/tags/1").asText()).isEqualTo("b");
            });
            assertThat(kept).extracting(doc -> doc.path("_id").asText()).doesNotHaveDuplicates();
            assertThat(dead).hasSize(withoutN).allSatisfy(letter -> {
                assertThat(letter.at("/error/reason").asText()).contains("no item number (n)");
                assertThat(letter.at("/source/index").asText()).isEqualTo(f.index);
                assertThat(letter.at("/document/_id").asText()).doesNotStartWith("doc-");
            });
            // the document as read, whole: the 2 MB one too
            assertThat(dead).anySatisfy(letter -> assertThat(letter.at("/document/_source/after").decimalValue())
                    .isEqualByComparingTo("95.0"));
            // a restore of this dump reads the parts only: the inbox never takes a dead-letter file for data
            assertThat(f.keys(folder)).filteredOn(k -> k.contains(".dead-letters.")).isNotEmpty()
                    .allSatisfy(k -> assertThat(new dev.ferry.s3.S3Inbox(null, "b", "", "delete", null, null)
                            .isData(k)).isFalse());
            assertThat(f.openPits()).as("points in time left open").isZero();
        }
    }

    /**
     * A dump with a transform that fails midway (S3 down longer than the upload retries) and is resumed: the parts
     * committed before the failure keep their filtered and dead-lettered counts, the resume reads only the hits they
     * do not cover, and the finished dump holds every kept hit once, every dead letter once, and balances.
     */
    @Test
    void aResumedDumpKeepsTheTransformsAccountsOfThePartsBeforeTheFailure() throws Exception {
        DumpFixture f = new DumpFixture("transform-resume");
        int plain = 3_000;
        int total = f.seed(plain);
        int withoutN = total - plain - 2;
        int filtered = plain / 10; // price = n % 100 >= 90
        try (dev.ferry.embedded.FaultProxy s3 = new dev.ferry.embedded.FaultProxy(f.s3.endpoint())) {
            Map<String, String> settings = withDumpForSharing(f, work);
            settings.put("ferry.s3.endpoint", s3.endpoint().toString());
            settings.put("ferry.opensearch-to-s3.uploads-in-flight", "1");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                java.util.concurrent.CompletableFuture<RunAccount> first = OpenSearchToS3Test.dumpAsync(ferry, f.index);
                OpenSearchToS3FaultTest.awaitCheckpointedDocuments(f);
                s3.breakConnections();
                RunAccount failed = first.get(120, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                String folder = f.dumpFolders("dumps").get(0);
                s3.restore();
                JsonNode checkpoint = f.json(folder + "checkpoint.json");
                long covered = checkpoint.path("documents").asLong() + checkpoint.path("filtered").asLong()
                        + checkpoint.path("deadLettered").asLong();
                assertThat(covered).as("hits the checkpoint's parts account for").isPositive().isLessThan(total);

                RunAccount resumed = OpenSearchToS3Test.dump(ferry, f.index);

                assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(resumed.subject()).contains("(resumed)");
                assertThat(resumed.read()).as("hits read again").isEqualTo(total - covered);
                assertThat(resumed.read()).isEqualTo(resumed.written() + resumed.filtered() + resumed.deadLettered());
                JsonNode manifest = f.json(folder + "manifest.json");
                assertThat(manifest.path("documents").asLong()).isEqualTo(total - filtered - withoutN);
                assertThat(manifest.path("filtered").asLong()).isEqualTo(filtered);
                assertThat(manifest.path("deadLettered").asLong()).isEqualTo(withoutN);
                List<String> kept = new ArrayList<>();
                List<String> dead = new ArrayList<>();
                for (JsonNode part : manifest.path("parts")) {
                    kept.addAll(DumpFixture.lines(f.object(part.path("key").asText())));
                    if (part.has("deadLettersKey")) {
                        for (String letter : DumpFixture.lines(f.object(part.path("deadLettersKey").asText()))) {
                            dead.add(JSON.readTree(letter).at("/document/_id").asText());
                        }
                    }
                }
                assertThat(kept).hasSize(total - filtered - withoutN)
                        .extracting(line -> JSON.readTree(line).path("_id").asText()).doesNotHaveDuplicates();
                assertThat(dead).hasSize(withoutN).doesNotHaveDuplicates();
                assertThat(f.openPits()).as("points in time left open").isZero();
            }
        }
    }

    private static Map<String, String> withDumpForSharing(DumpFixture f, Path work) throws Exception {
        ExampleRoutes applied = ExampleRoutes.apply("dump-for-sharing", Files.createDirectory(work.resolve("routes")));
        assertThat(applied.replaced()).containsExactly("route:opensearch-to-s3-transform");
        Map<String, String> settings = f.settings(work);
        settings.putAll(applied.settings());
        return settings;
    }
}
