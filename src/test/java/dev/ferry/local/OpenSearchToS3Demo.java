package dev.ferry.local;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * opensearch-to-s3 in local mode: an index of 50,000 awkward documents (unicode, floats like 95.0, 30-digit numbers,
 * routing values, nested objects, a few large ones) in the embedded OpenSearch, dumped on demand to the embedded S3
 * by a request file dropped in the request directory (the operator's way to start a dump in a running Ferry).
 */
public final class OpenSearchToS3Demo implements PipelineDemo {

    static final String INDEX = "ferry-demo-documents";
    static final String BUCKET = "ferry-demo-dumps";
    static final int DOCUMENTS = 50_000;

    @Override
    public String pipeline() {
        return "opensearch-to-s3";
    }

    @Override
    public Map<String, String> seed(EmbeddedServices services) throws Exception {
        OpenSearchNode search = services.openSearch();
        S3ProxyServer s3 = services.s3();
        try {
            s3.client().createBucket(b -> b.bucket(BUCKET));
        } catch (BucketAlreadyOwnedByYouException fine) {
            // a previous local run made it
        }
        HttpClient http = HttpClient.newHttpClient();
        send(http, "DELETE", search.url() + "/" + INDEX + "?ignore_unavailable=true", null);
        send(http, "PUT", search.url() + "/" + INDEX, "{\"settings\":{\"number_of_shards\":2},"
                + "\"mappings\":{\"dynamic\":false,\"properties\":{\"n\":{\"type\":\"long\"}}}}");
        StringBuilder bulk = new StringBuilder();
        for (int i = 0; i < DOCUMENTS; i++) {
            String routing = i % 11 == 0 ? ",\"routing\":\"tenant-" + (i % 5) + "\"" : "";
            bulk.append("{\"index\":{\"_id\":\"doc-").append(i).append('"').append(routing).append("}}\n");
            bulk.append("{\"n\":").append(i).append(",\"score\":").append(i % 100).append(".0")
                    .append(",\"big\":1234567890123456789012345678").append(i % 10)
                    .append(",\"name\":\"Grüße 東京 🚢 #").append(i).append('"')
                    .append(",\"nested\":{\"a\":{\"b\":[1,2.50,{\"c\":null}]}}");
            if (i % 5_000 == 0) {
                bulk.append(",\"large\":\"").append("x".repeat(500_000)).append('"');
            }
            bulk.append("}\n");
            if ((i + 1) % 5_000 == 0) {
                send(http, "POST", search.url() + "/" + INDEX + "/_bulk", bulk.toString());
                bulk.setLength(0);
            }
        }
        send(http, "POST", search.url() + "/" + INDEX + "/_refresh", null);

        Path requests = Path.of("target/local-data/opensearch-to-s3-requests").toAbsolutePath();
        Files.createDirectories(requests);
        Files.writeString(requests.resolve("demo-" + System.currentTimeMillis() + ".json"), "{\"index\":\"" + INDEX + "\"}");

        Map<String, String> o = new HashMap<>(LocalMode.s3Settings(s3));
        o.put("ferry.opensearch.hosts", search.hostAddress());
        o.put("ferry.opensearch-to-s3.enabled", "true");
        o.put("ferry.opensearch-to-s3.index", INDEX);
        o.put("ferry.opensearch-to-s3.destination", "s3://" + BUCKET + "/dumps");
        o.put("ferry.opensearch-to-s3.part-max-docs", "10000");
        o.put("ferry.opensearch-to-s3.request-dir", requests.toString());
        o.put("ferry.opensearch-to-s3.spool-dir", Path.of("target/local-data/opensearch-to-s3-spool").toAbsolutePath().toString());
        o.put("ferry.opensearch-to-s3.progress-every-seconds", "2");
        return o;
    }

    private static final java.util.regex.Pattern SLICE_RUN = java.util.regex.Pattern.compile(" slice \\d+ of \\d+ -> ");

    @Override
    public boolean finished(java.util.List<RunAccount> finished) {
        // the dump's own run, not a slice's (with replicas, slices are read by runs of their own)
        return finished.stream().anyMatch(r -> r.pipeline().equals(pipeline()) && r.status() != RunAccount.Status.RUNNING
                && !SLICE_RUN.matcher(r.subject()).find() && !r.subject().equals("slice-queue message"));
    }

    private static void send(HttpClient http, String method, String url, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", url.endsWith("_bulk") ? "application/x-ndjson" : "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2 && !(method.equals("DELETE") && r.statusCode() == 404)
                || r.body().startsWith("{\"took\"") && r.body().contains("\"errors\":true")) {
            throw new IllegalStateException(method + " " + url + " -> " + r.statusCode() + ": "
                    + r.body().substring(0, Math.min(1000, r.body().length())));
        }
    }
}
