package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.testing.FerryUnderTest;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPOutputStream;

/**
 * One test's own corner of the real servers: a source bucket, a dead-letter bucket and an index, all named after the
 * test, plus the Ferry overrides that point s3-to-opensearch at them.
 */
final class S3ToOpenSearchFixture {

    private static final AtomicInteger SEQ = new AtomicInteger();
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    final S3ProxyServer s3;
    final OpenSearchNode node;
    final String bucket;
    final String deadLetterBucket;
    final String index;

    S3ToOpenSearchFixture(S3ProxyServer s3, OpenSearchNode node, String name) {
        this.s3 = s3;
        this.node = node;
        String unique = name + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        this.bucket = "in-" + unique;
        this.deadLetterBucket = "dl-" + unique;
        this.index = "docs-" + unique;
        s3().createBucket(b -> b.bucket(bucket));
        s3().createBucket(b -> b.bucket(deadLetterBucket));
    }

    S3Client s3() {
        return s3.client();
    }

    Map<String, String> overrides() {
        Map<String, String> o = new HashMap<>();
        o.put("ferry.s3-to-opensearch.enabled", "true");
        o.put("ferry.s3.endpoint", s3.endpoint().toString());
        o.put("ferry.s3.path-style", "true");
        o.put("ferry.s3.region", s3.region());
        o.put("ferry.s3.access-key", s3.accessKey());
        o.put("ferry.s3.secret-key", s3.secretKey());
        o.put("ferry.opensearch.hosts", node.hostAddress());
        o.put("ferry.s3-to-opensearch.bucket", bucket);
        o.put("ferry.s3-to-opensearch.prefix", "incoming/");
        o.put("ferry.s3-to-opensearch.processed-prefix", "processed/");
        o.put("ferry.s3-to-opensearch.dead-letter-bucket", deadLetterBucket);
        o.put("ferry.s3-to-opensearch.index", index);
        o.put("ferry.s3-to-opensearch.poll-delay-ms", "300");
        o.put("ferry.s3-to-opensearch.retry-initial-delay-ms", "50");
        o.put("ferry.s3-to-opensearch.retry-max-delay-ms", "2000");
        return o;
    }

    void put(String key, byte[] bytes) {
        s3().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    }

    List<String> keys(String bucketName, String prefix) {
        return s3().listObjectsV2Paginator(b -> b.bucket(bucketName).prefix(prefix)).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    String text(String bucketName, String key) {
        return s3().getObjectAsBytes(b -> b.bucket(bucketName).key(key)).asString(StandardCharsets.UTF_8);
    }

    /** The dead-letter lines of one source key, parsed. */
    List<JsonNode> deadLetters(String key) throws IOException {
        String body = text(deadLetterBucket, key + ObjectJobs.DEAD_LETTER_SUFFIX);
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    // ------------------------------------------------------------------ OpenSearch over plain HTTP

    HttpResponse<String> http(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(node.url() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    void createIndex(String name, String mappingProperties) throws Exception {
        HttpResponse<String> r = http("PUT", "/" + name, "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0},"
                + "\"mappings\":{\"properties\":" + mappingProperties + "}}");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("create index " + name + ": " + r.body());
        }
    }

    long count(String name) throws Exception {
        http("POST", "/" + name + "/_refresh", null);
        HttpResponse<String> r = http("GET", "/" + name + "/_count", null);
        return r.statusCode() == 404 ? 0 : JSON.readTree(r.body()).get("count").asLong();
    }

    /** The document's _source exactly as OpenSearch stores it (raw text), if it exists. */
    Optional<String> rawSource(String name, String id, String routing) throws Exception {
        HttpResponse<String> r = http("GET", "/" + name + "/_source/" + id + (routing == null ? "" : "?routing=" + routing), null);
        return r.statusCode() == 200 ? Optional.of(r.body()) : Optional.empty();
    }

    // ------------------------------------------------------------------ content

    static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    /** n documents {"n":i,"price":i,"name":"..."} one per line. */
    static String docs(String tag, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append("{\"tag\":\"").append(tag).append("\",\"n\":").append(i).append(",\"price\":").append(i)
                    .append(",\"name\":\"document ").append(i).append(" of ").append(tag).append("\"}\n");
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ ledger

    static Optional<RunAccount> lastRun(Runs runs, String subject) {
        RunAccount found = null;
        for (RunAccount r : runs.finished()) {
            if (r.subject().equals(subject)) {
                found = r;
            }
        }
        return Optional.ofNullable(found);
    }

    static boolean succeeded(Runs runs, String subject) {
        return lastRun(runs, subject).map(r -> r.status() == RunAccount.Status.SUCCEEDED).orElse(false);
    }

    static Runs runs(FerryUnderTest ferry) {
        return ferry.bean("runs", Runs.class);
    }
}
