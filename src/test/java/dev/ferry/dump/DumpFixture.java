package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

/**
 * An index of awkward documents in the embedded OpenSearch, a bucket in S3Proxy, and the readers the dump tests use
 * to compare what landed in S3 with what was indexed, byte for byte.
 */
public final class DumpFixture {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    public final OpenSearchNode openSearch;
    final S3ProxyServer s3 = EmbeddedServices.shared().s3();
    public final String index;
    public final String bucket;
    /** The dump line expected for each document id: the indexed _source bytes, verbatim. */
    public final Map<String, String> expectedLines = new LinkedHashMap<>();
    /**
     * The points in time open on the shared node before this fixture: a failed dump of another test keeps its own
     * until its keep-alive runs out, by design, so only the ones opened since count as left open.
     */
    private final Set<String> pitsBefore;

    public DumpFixture(String name) {
        this(name, EmbeddedServices.DEFAULT_OPENSEARCH_LINE);
    }

    DumpFixture(String name, dev.ferry.embedded.OpenSearchLine line) {
        this.openSearch = EmbeddedServices.shared().openSearch(line);
        int n = SEQ.incrementAndGet();
        String unique = name + "-" + n + "-" + Long.toString(System.nanoTime() % 1_000_000, 36);
        this.index = unique.toLowerCase(Locale.ROOT);
        this.bucket = ("b-" + unique).toLowerCase(Locale.ROOT);
        s3.client().createBucket(b -> b.bucket(bucket));
        try {
            this.pitsBefore = pitIds();
        } catch (Exception e) {
            throw new IllegalStateException("cannot list the node's points in time", e);
        }
    }

    /** Settings that switch the pipeline on for this index and bucket, with small pages and parts. */
    public Map<String, String> settings(Path work) {
        Map<String, String> o = new HashMap<>();
        o.put("ferry.opensearch-to-s3.enabled", "true");
        o.put("ferry.opensearch-to-s3.index", index);
        o.put("ferry.opensearch-to-s3.destination", "s3://" + bucket + "/dumps");
        o.put("ferry.opensearch-to-s3.schedule", "0 0 0 1 1 ? 2099");
        o.put("ferry.opensearch-to-s3.page-size", "50");
        o.put("ferry.opensearch-to-s3.part-max-docs", "120");
        o.put("ferry.opensearch-to-s3.slices", "2");
        o.put("ferry.opensearch-to-s3.uploads-in-flight", "2");
        o.put("ferry.opensearch-to-s3.spool-dir", work.resolve("spool").toString());
        o.put("ferry.opensearch-to-s3.request-dir", work.resolve("requests").toString());
        o.put("ferry.opensearch-to-s3.progress-every-seconds", "1");
        o.put("ferry.opensearch.hosts", openSearch.hostAddress());
        o.put("ferry.s3.endpoint", s3.endpoint().toString());
        o.put("ferry.s3.path-style", "true");
        o.put("ferry.s3.region", s3.region());
        o.put("ferry.s3.access-key", s3.accessKey());
        o.put("ferry.s3.secret-key", s3.secretKey());
        o.put("ferry.retry.max-attempts", "2");
        o.put("ferry.retry.initial-delay-ms", "50");
        o.put("ferry.retry.max-delay-ms", "200");
        return o;
    }

    /**
     * Settings that switch s3-to-opensearch on to restore what lies under {@code prefix} in this bucket into
     * {@code index} (not the lines' own), moving restored objects under restored/, dead letters to the bucket
     * {@code <bucket>-dl} (created here).
     */
    public Map<String, String> restoreSettings(String prefix, String index) {
        String deadLetters = bucket + "-dl";
        s3.client().createBucket(b -> b.bucket(deadLetters));
        Map<String, String> settings = new HashMap<>();
        settings.put("ferry.s3-to-opensearch.enabled", "true");
        settings.put("ferry.opensearch.hosts", openSearch.hostAddress());
        settings.put("ferry.s3.endpoint", s3.endpoint().toString());
        settings.put("ferry.s3.path-style", "true");
        settings.put("ferry.s3.access-key", s3.accessKey());
        settings.put("ferry.s3.secret-key", s3.secretKey());
        settings.put("ferry.s3-to-opensearch.bucket", bucket);
        settings.put("ferry.s3-to-opensearch.prefix", prefix);
        settings.put("ferry.s3-to-opensearch.processed-prefix", "restored/");
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", deadLetters);
        settings.put("ferry.s3-to-opensearch.index", index);
        settings.put("ferry.s3-to-opensearch.index-from-line", "false");
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "300");
        return settings;
    }

    /**
     * The finished dump in this folder holds every seeded document exactly once: the manifest counts {@code total},
     * each part's bytes match its SHA-256, the parts' lines are the expected ones without a duplicate, and the folder
     * holds nothing but the manifest's parts and the manifest.
     */
    public void assertHoldsEveryDocumentOnce(String folder, int total) throws Exception {
        JsonNode manifest = json(folder + "manifest.json");
        org.assertj.core.api.Assertions.assertThat(manifest.path("documents").asLong()).isEqualTo(total);
        List<String> partKeys = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (JsonNode part : manifest.path("parts")) {
            byte[] object = object(part.path("key").asText());
            org.assertj.core.api.Assertions.assertThat(sha256(object)).isEqualTo(part.path("sha256").asText());
            lines.addAll(lines(object));
            partKeys.add(part.path("key").asText());
        }
        org.assertj.core.api.Assertions.assertThat(lines).hasSize(total).doesNotHaveDuplicates();
        org.assertj.core.api.Assertions.assertThat(new HashSet<>(lines)).isEqualTo(new HashSet<>(expectedLines.values()));
        partKeys.add(folder + "manifest.json");
        org.assertj.core.api.Assertions.assertThat(keys(folder)).as("only the manifest's parts are left")
                .containsExactlyInAnyOrderElementsOf(partKeys);
    }

    /** Documents the unfinished dump's checkpoint.json under this prefix records as stored (0 before the first). */
    long checkpointDocuments(String prefix) throws Exception {
        for (String folder : dumpFolders(prefix)) {
            if (keys(folder).contains(folder + "checkpoint.json")) {
                return json(folder + "checkpoint.json").path("documents").asLong();
            }
        }
        return 0;
    }

    /** Indexes {@code plain} ordinary documents plus a set of awkward ones; returns how many documents in all. */
    public int seed(int plain) throws Exception {
        createIndex();
        Map<String, String[]> docs = new LinkedHashMap<>(); // id -> {routing or null, source}
        docs.put("float-95", new String[]{null, "{\"score\":95.0,\"ratio\":1.10,\"tiny\":1e-7,\"exp\":1E+5,\"neg\":-0.0}"});
        docs.put("big-numbers", new String[]{null, "{\"big\":123456789012345678901234567890,\"long\":9223372036854775807,"
                + "\"precise\":3.141592653589793238462643383279}"});
        docs.put("unicode", new String[]{null, "{\"text\":\"Grüße, 東京, emoji 🚢🌊, combining é, rtl שלום\","
                + "\"escaped\":\"tab\\tquote\\\"backslash\\\\ \\u00e9 \\ud83d\\udea2\"}"});
        docs.put("spacing", new String[]{null, "{ \"a\" : 1 ,\n  \"b\" : [ 1, 2 , 3 ] }"});
        docs.put("nested", new String[]{null, "{\"a\":{\"b\":{\"c\":{\"d\":[{\"e\":1},{\"e\":[true,false,null]}]}}},\"empty\":{},\"list\":[]}"});
        docs.put("routed-1", new String[]{"tenant-α", "{\"tenant\":\"α\",\"n\":1}"});
        docs.put("routed-2", new String[]{"tenant-β/42", "{\"tenant\":\"β\",\"n\":2}"});
        docs.put("ïd with spaces & ünïcode", new String[]{null, "{\"odd\":\"id\"}"});
        docs.put("large", new String[]{null, "{\"blob\":\"" + "x".repeat(2_000_000) + "\",\"after\":95.0}"});
        for (int i = 0; i < plain; i++) {
            docs.put(String.format("doc-%07d", i), new String[]{i % 7 == 0 ? "r" + (i % 3) : null,
                    "{\"n\":" + i + ",\"price\":" + (i % 100) + ".0,\"name\":\"item " + i + " ✓\",\"tags\":[\"a\",\"b\"]}"});
        }
        StringBuilder bulk = new StringBuilder();
        int inBulk = 0;
        for (Map.Entry<String, String[]> e : docs.entrySet()) {
            String id = e.getKey();
            String routing = e.getValue()[0];
            String source = e.getValue()[1];
            String meta = "{\"_id\":" + JSON.writeValueAsString(id) + (routing == null ? "" : ",\"routing\":"
                    + JSON.writeValueAsString(routing)) + "}";
            bulk.append("{\"index\":").append(meta).append("}\n").append(source.replace("\n", " ")).append('\n');
            // the bulk API needs one line per source: the stored bytes are the line as sent
            expectedLines.put(id, "{\"_index\":\"" + index + "\",\"_id\":" + JSON.writeValueAsString(id)
                    + (routing == null ? "" : ",\"_routing\":" + JSON.writeValueAsString(routing))
                    + ",\"_source\":" + source.replace("\n", " ") + "}");
            if (++inBulk == 2000) {
                sendBulk(bulk.toString());
                bulk.setLength(0);
                inBulk = 0;
            }
        }
        if (inBulk > 0) {
            sendBulk(bulk.toString());
        }
        http("POST", "/" + index + "/_refresh", null);
        return docs.size();
    }

    private void createIndex() throws Exception {
        http("PUT", "/" + index, "{\"settings\":{\"number_of_shards\":3,\"number_of_replicas\":0},"
                + "\"mappings\":{\"dynamic\":false,\"properties\":{\"n\":{\"type\":\"long\"}}}}");
    }

    private void sendBulk(String body) throws Exception {
        JsonNode r = JSON.readTree(http("POST", "/" + index + "/_bulk", body));
        if (r.path("errors").asBoolean()) {
            throw new IllegalStateException("bulk errors: " + r.toString().substring(0, Math.min(2000, r.toString().length())));
        }
    }

    String http(String method, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(openSearch.url() + path))
                .header("Content-Type", body != null && path.contains("_bulk") ? "application/x-ndjson" : "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(method + " " + path + " -> " + r.statusCode() + ": "
                    + r.body().substring(0, Math.min(2000, r.body().length())));
        }
        return r.body();
    }

    /** Points in time opened since this fixture was made and still open. */
    public int openPits() throws Exception {
        Set<String> open = pitIds();
        open.removeAll(pitsBefore);
        return open.size();
    }

    private Set<String> pitIds() throws Exception {
        Set<String> ids = new HashSet<>();
        JSON.readTree(http("GET", "/_search/point_in_time/_all", null)).path("pits")
                .forEach(p -> ids.add(p.path("pit_id").asText()));
        return ids;
    }

    /** True when the point in time still answers a search. */
    boolean pitAlive(String pitId) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(openSearch.url() + "/_search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"size\":0,\"pit\":{\"id\":" + JSON.writeValueAsString(pitId)
                        + "}}")).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200;
    }

    /** Releases a point in time, as the end of its keep-alive would. */
    void closePit(String pitId) throws Exception {
        http("DELETE", "/_search/point_in_time", "{\"pit_id\":[" + JSON.writeValueAsString(pitId) + "]}");
    }

    S3Client client() {
        return s3.client();
    }

    public List<String> keys(String prefix) {
        return client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    /** The one dump folder (dumps/<index>/<id>/) a test produced under {@code prefix}. */
    List<String> dumpFolders(String prefix) {
        return client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix + "/" + index + "/").delimiter("/"))
                .commonPrefixes().stream().map(p -> p.prefix()).sorted().toList();
    }

    byte[] object(String key) {
        return client().getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    JsonNode json(String key) throws IOException {
        return JSON.readTree(object(key));
    }

    /** Every line of every part listed in the manifest (or found under the folder), in order. */
    public static List<String> lines(byte[] compressed) throws IOException {
        List<String> lines = new ArrayList<>();
        java.io.InputStream in = new java.io.ByteArrayInputStream(compressed);
        boolean zstd = compressed.length >= 4 && (compressed[0] & 0xff) == 0x28 && (compressed[1] & 0xff) == 0xb5;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(zstd ? new com.github.luben.zstd.ZstdInputStream(in)
                : new GZIPInputStream(in), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    public static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
