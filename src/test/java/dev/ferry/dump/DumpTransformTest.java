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
        ExampleRoutes applied = ExampleRoutes.apply("dump-for-sharing", Files.createDirectory(work.resolve("routes")));
        assertThat(applied.replaced()).containsExactly("route:opensearch-to-s3-transform");
        Map<String, String> settings = f.settings(work);
        settings.putAll(applied.settings());
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
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
}
