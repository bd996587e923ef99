package dev.ferry.dump;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A dump written by opensearch-to-s3, restored by s3-to-opensearch into another index: every document back with its
 * id and routing, its _source byte for byte, and the dump's manifest left alone; with gzip parts (the default) and
 * with zstd parts (compression = zstd), which the restore tells apart by their magic bytes.
 */
class DumpRestoreRoundTripTest {

    @TempDir
    Path work;

    @ParameterizedTest
    @ValueSource(strings = {"gzip", "zstd"})
    void anOpenSearchToS3DumpIsRestoredByS3ToOpenSearchByteForByte(String compression) throws Exception {
        DumpFixture f = new DumpFixture("roundtrip-" + compression);
        int total = f.seed(1_000);
        Map<String, String> dumpSettings = f.settings(work.resolve(compression));
        dumpSettings.put("ferry.opensearch-to-s3.compression", compression);
        try (FerryUnderTest dumper = FerryUnderTest.start(dumpSettings)) {
            RunAccount dump = OpenSearchToS3Test.dump(dumper, f.index);
            assertThat(dump.status()).as(dump.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
        }
        String folder = f.dumpFolders("dumps").get(0);
        String suffix = compression.equals("zstd") ? ".ndjson.zst" : ".ndjson.gz";
        List<String> parts = f.keys(folder).stream().filter(k -> k.endsWith(".ndjson.gz") || k.endsWith(".ndjson.zst")).toList();
        assertThat(parts).isNotEmpty().allMatch(k -> k.endsWith(suffix));
        assertThat(f.json(folder + "manifest.json").path("compression").asText()).isEqualTo(compression);
        assertThat(f.s3.client().headObject(b -> b.bucket(f.bucket).key(parts.get(0))).contentEncoding()).isEqualTo(compression);
        f.assertHoldsEveryDocumentOnce(folder, total);

        String restored = f.index + "-restored";
        f.http("PUT", "/" + restored, "{\"settings\":{\"number_of_shards\":3,\"number_of_replicas\":0},"
                + "\"mappings\":{\"dynamic\":false,\"properties\":{\"n\":{\"type\":\"long\"}}}}");
        String deadLetters = f.bucket + "-dl";
        f.s3.client().createBucket(b -> b.bucket(deadLetters));
        Map<String, String> settings = new HashMap<>();
        settings.put("ferry.s3-to-opensearch.enabled", "true");
        settings.put("ferry.opensearch.hosts", f.openSearch.hostAddress());
        settings.put("ferry.s3.endpoint", f.s3.endpoint().toString());
        settings.put("ferry.s3.path-style", "true");
        settings.put("ferry.s3.access-key", f.s3.accessKey());
        settings.put("ferry.s3.secret-key", f.s3.secretKey());
        settings.put("ferry.s3-to-opensearch.bucket", f.bucket);
        settings.put("ferry.s3-to-opensearch.prefix", folder);
        settings.put("ferry.s3-to-opensearch.processed-prefix", "restored/");
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", deadLetters);
        settings.put("ferry.s3-to-opensearch.index", restored);
        settings.put("ferry.s3-to-opensearch.index-from-line", "false");
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "300");
        try (FerryUnderTest restorer = FerryUnderTest.start(settings)) {
            Runs runs = restorer.bean("runs", Runs.class);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).until(() ->
                    parts.stream().allMatch(k -> runs.finished().stream().anyMatch(r -> r.subject().equals(f.bucket + "/" + k)
                            && r.status() == RunAccount.Status.SUCCEEDED)));
            long read = runs.finished().stream().mapToLong(RunAccount::read).sum();
            long written = runs.finished().stream().mapToLong(RunAccount::written).sum();
            assertThat(read).isEqualTo(total);
            assertThat(written).isEqualTo(total);
        }
        f.http("POST", "/" + restored + "/_refresh", null);
        assertThat(DumpFixture.JSON.readTree(f.http("GET", "/" + restored + "/_count", null)).path("count").asLong())
                .isEqualTo(total);
        for (Map.Entry<String, String> e : f.expectedLines.entrySet()) {
            if (e.getKey().startsWith("doc-") && !e.getKey().endsWith("7")) {
                continue; // the awkward documents all, and a sample of the plain ones
            }
            String line = e.getValue();
            String source = line.substring(line.indexOf(",\"_source\":") + ",\"_source\":".length(), line.length() - 1);
            var meta = DumpFixture.JSON.readTree(line);
            String routing = meta.has("_routing") ? "?routing=" + URLEncoder.encode(meta.get("_routing").asText(), StandardCharsets.UTF_8) : "";
            String path = "/" + restored + "/_source/" + URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8).replace("+", "%20") + routing;
            assertThat(f.http("GET", path, null)).as(e.getKey()).isEqualTo(source);
        }
        assertThat(f.keys(folder)).as("the manifest stays; the parts moved under restored/").allMatch(k -> k.endsWith(".json"));
        assertThat(f.s3.client().listObjectsV2(b -> b.bucket(deadLetters)).contents()).isEmpty();
    }
}
