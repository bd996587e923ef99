package dev.ferry.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.dump.DumpFixture;
import dev.ferry.dump.OpenSearchDumps;
import dev.ferry.dump.DumpDestinationUri;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cookbook (f), examples/dump-to-directory: with the example's one setting, opensearch-to-s3 dumps an index of the
 * real OpenSearch node into a local directory (moved to a temporary one here) with the same parts, manifest and
 * resume as in S3: every document exactly once, its _source byte for byte, and nothing in S3.
 */
class DumpToDirectoryExampleTest {

    private static final Path EXAMPLE = FerryUnderTest.PROJECT_DIR.resolve("examples/dump-to-directory/example.properties");
    private static final String DESTINATION = "ferry.opensearch-to-s3.destination";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void theExampleDumpsAnIndexToALocalDirectoryByteForByteWithItsManifest() throws Exception {
        DumpFixture f = new DumpFixture("to-dir");
        int total = f.seed(1_000);
        Path dumps = work.resolve("dumps");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings(f, dumps))) {
            RunAccount run = dump(ferry, f.index);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.read()).isEqualTo(total);
            assertThat(run.written()).isEqualTo(total);
            assertThat(run.subject()).contains("file:" + dumps.resolve(f.index));
            Path folder = onlyDumpFolder(dumps, f.index);
            JsonNode manifest = json(folder.resolve("manifest.json"));
            assertThat(manifest.path("index").asText()).isEqualTo(f.index);
            assertThat(manifest.path("documents").asLong()).isEqualTo(total);
            assertThat(manifest.path("documentsAtSnapshot").asLong()).isEqualTo(total);
            List<String> lines = assertExact(dumps, folder, total, f);
            assertThat(lines).contains(f.expectedLines.get("float-95"), f.expectedLines.get("big-numbers"),
                    f.expectedLines.get("unicode"), f.expectedLines.get("routed-2"), f.expectedLines.get("large"));
            assertThat(f.keys("")).as("nothing written to S3").isEmpty();
            assertThat(org.apache.camel.health.HealthCheckRegistry.get(ferry.camelContext()).getCheck("s3"))
                    .as("no S3 readiness check: the pipeline names no bucket").isEmpty();
            assertThat(f.openPits()).as("points in time left open").isZero();
        }
    }

    /**
     * OpenSearch goes away midway (a TCP proxy resets every connection) for longer than the retries: the dump fails
     * and keeps its checkpoint in the directory. What a crash could also have left there (a part written after the
     * last checkpoint, a part's unfinished temporary file) is planted beside it. Once OpenSearch is back, the next
     * dump continues from the checkpoint: it reads only the rest, keeps the checkpoint's parts as they were, removes
     * the rest, and the directory ends with every document exactly once.
     */
    @Test
    void anInterruptedDumpToADirectoryContinuesFromItsCheckpointWithEveryDocumentOnce() throws Exception {
        DumpFixture f = new DumpFixture("to-dir-resume");
        int total = f.seed(3_000);
        Path dumps = work.resolve("dumps");
        try (FaultProxy openSearch = new FaultProxy(URI.create(f.openSearch.url()))) {
            Map<String, String> settings = settings(f, dumps);
            settings.put("ferry.opensearch.hosts", openSearch.endpoint().getAuthority());
            settings.put("ferry.opensearch-to-s3.page-size", "100");
            settings.put("ferry.opensearch-to-s3.part-max-docs", "250");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                CompletableFuture<RunAccount> first = CompletableFuture.supplyAsync(() -> dump(ferry, f.index));
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).ignoreExceptions()
                        .until(() -> json(onlyDumpFolder(dumps, f.index).resolve("checkpoint.json")).path("documents").asLong() > 0);
                openSearch.breakConnections();
                RunAccount failed = first.get(120, TimeUnit.SECONDS);

                assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.failure()).contains("no manifest written").contains("file:" + dumps.resolve(f.index));
                Path folder = onlyDumpFolder(dumps, f.index);
                assertThat(folder.resolve("manifest.json")).doesNotExist();
                JsonNode checkpoint = json(folder.resolve("checkpoint.json"));
                long stopped = checkpoint.path("documents").asLong();
                assertThat(stopped).isPositive().isLessThan(total);
                Map<String, String> kept = new LinkedHashMap<>();
                for (JsonNode part : checkpoint.path("parts")) {
                    Path file = dumps.resolve(part.path("key").asText());
                    kept.put(part.path("key").asText(), Files.getLastModifiedTime(file) + " " + part.path("sha256").asText());
                }
                assertThat(kept).isNotEmpty();
                Path afterCheckpoint = folder.resolve("part-09998.ndjson.gz");
                Path unfinished = folder.resolve(".part-09999.ndjson.gz.5eed.tmp");
                Files.write(afterCheckpoint, new byte[] {31, -117, 8, 0});
                Files.write(unfinished, new byte[] {31, -117});

                openSearch.restore();
                RunAccount resumed = dump(ferry, f.index);

                assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(resumed.subject()).contains("(resumed)");
                assertThat(resumed.read()).as("documents read again").isEqualTo(total - stopped);
                assertThat(resumed.written()).isEqualTo(total - stopped);
                assertThat(onlyDumpFolder(dumps, f.index)).isEqualTo(folder);
                assertThat(afterCheckpoint).doesNotExist();
                assertThat(unfinished).doesNotExist();
                JsonNode manifest = json(folder.resolve("manifest.json"));
                assertThat(manifest.has("pointInTimeRenewedAt")).as("one point in time throughout").isFalse();
                Map<String, String> manifestSha = new HashMap<>();
                manifest.path("parts").forEach(p -> manifestSha.put(p.path("key").asText(), p.path("sha256").asText()));
                for (Map.Entry<String, String> part : kept.entrySet()) {
                    assertThat(Files.getLastModifiedTime(dumps.resolve(part.getKey())) + " " + manifestSha.get(part.getKey()))
                            .as("part %s kept as it was", part.getKey()).isEqualTo(part.getValue());
                }
                assertExact(dumps, folder, total, f);
                assertThat(f.openPits()).as("points in time left open").isZero();
            }
        }
    }

    /** The fixture's settings with the example's on top, its directory (/var/ferry/dumps) moved to {@code dumps}. */
    private Map<String, String> settings(DumpFixture f, Path dumps) throws IOException {
        Map<String, String> settings = new HashMap<>(f.settings(work));
        Properties example = new Properties();
        try (Reader in = Files.newBufferedReader(EXAMPLE)) {
            example.load(in);
        }
        assertThat(example.stringPropertyNames()).as("the example is one setting").containsExactly(DESTINATION);
        assertThat(DumpDestinationUri.parse(example.getProperty(DESTINATION)))
                .isEqualTo(new DumpDestinationUri.Directory(Path.of("/var/ferry/dumps")));
        example.stringPropertyNames().forEach(k -> settings.put(k, example.getProperty(k)));
        settings.put(DESTINATION, example.getProperty(DESTINATION).replace("/var/ferry/dumps", dumps.toString()));
        return settings;
    }

    private static RunAccount dump(FerryUnderTest ferry, String index) {
        return ferry.camelContext().createProducerTemplate().requestBody("direct:opensearch-to-s3-dump",
                new OpenSearchDumps.DumpRequest(index, null), RunAccount.class);
    }

    /** The one dump folder under {@code dumps/<index>/}. */
    private static Path onlyDumpFolder(Path dumps, String index) throws IOException {
        try (Stream<Path> folders = Files.list(dumps.resolve(index))) {
            List<Path> all = folders.toList();
            assertThat(all).hasSize(1);
            return all.get(0);
        }
    }

    /**
     * The folder holds the manifest and exactly its parts (size and SHA-256 as listed), and their lines are every
     * indexed document once, byte for byte; returns the lines.
     */
    private static List<String> assertExact(Path dumps, Path folder, int total, DumpFixture f) throws Exception {
        JsonNode manifest = json(folder.resolve("manifest.json"));
        assertThat(manifest.path("documents").asLong()).isEqualTo(total);
        List<String> expectedFiles = new ArrayList<>(List.of("manifest.json"));
        List<String> lines = new ArrayList<>();
        for (JsonNode part : manifest.path("parts")) {
            String key = part.path("key").asText();
            assertThat(key).matches(java.util.regex.Pattern.quote(dumps.relativize(folder) + "/") + "part-\\d{5}\\.ndjson\\.gz");
            byte[] bytes = Files.readAllBytes(dumps.resolve(key));
            assertThat(bytes.length).isEqualTo(part.path("bytes").asLong());
            assertThat(DumpFixture.sha256(bytes)).isEqualTo(part.path("sha256").asText());
            List<String> partLines = DumpFixture.lines(bytes);
            assertThat(partLines).hasSize(part.path("documents").asInt());
            lines.addAll(partLines);
            expectedFiles.add(dumps.resolve(key).getFileName().toString());
        }
        try (Stream<Path> files = Files.list(folder)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .as("only the manifest and its parts: no checkpoint, no temporary file").containsExactlyInAnyOrderElementsOf(expectedFiles);
        }
        assertThat(lines).hasSize(total).doesNotHaveDuplicates();
        assertThat(new HashSet<>(lines)).isEqualTo(new HashSet<>(f.expectedLines.values()));
        return lines;
    }

    private static JsonNode json(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }
}
