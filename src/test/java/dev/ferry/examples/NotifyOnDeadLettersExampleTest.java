package dev.ferry.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * examples/notify-on-dead-letters applied as its README says, against the shared S3Proxy and OpenSearch, with a real
 * HTTP server in the test as the webhook: a run that dead-letters a line is POSTed once as JSON, a clean run is not.
 */
class NotifyOnDeadLettersExampleTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Post(String method, String path, String contentType, String pipelineHeader, String body) { }

    @Test
    void aRunThatDeadLettersIsPostedToTheWebhookOnceAsJsonACleanRunIsNotAndARefusingWebhookChangesNoRun(@TempDir Path routes)
            throws Exception {
        ExampleRoutes example = ExampleRoutes.apply("notify-on-dead-letters", routes);
        assertThat(example.replaced()).contains("route:ferry-run-finished");

        List<Post> posts = new CopyOnWriteArrayList<>();
        AtomicInteger answer = new AtomicInteger(204);
        HttpServer webhook = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webhook.createContext("/", exchange -> {
            posts.add(new Post(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"), exchange.getRequestHeaders().getFirst("FerryPipeline"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(answer.get(), -1);
            exchange.close();
        });
        webhook.start();

        EmbeddedServices services = EmbeddedServices.shared();
        S3ProxyServer s3 = services.s3();
        OpenSearchNode node = services.openSearch();
        String unique = "notify-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        String bucket = "in-" + unique;
        String index = "docs-" + unique;
        S3Client client = s3.client();
        client.createBucket(b -> b.bucket(bucket));
        client.createBucket(b -> b.bucket("dl-" + unique));

        StringBuilder bad = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            bad.append("{\"n\":").append(i).append("}\n");
            if (i == 3) {
                bad.append("this is not json\n"); // line 4: a dead letter
            }
        }
        client.putObject(b -> b.bucket(bucket).key("incoming/bad.ndjson"), RequestBody.fromString(bad.toString()));
        client.putObject(b -> b.bucket(bucket).key("incoming/clean.ndjson"),
                RequestBody.fromString("{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"));

        Map<String, String> settings = new java.util.HashMap<>(example.settings());
        settings.put("ferry.notify.webhook-url", "http://127.0.0.1:" + webhook.getAddress().getPort() + "/ferry/dead-letters");
        settings.put("ferry.s3-to-opensearch.enabled", "true");
        settings.put("ferry.s3.endpoint", s3.endpoint().toString());
        settings.put("ferry.s3.path-style", "true");
        settings.put("ferry.s3.region", s3.region());
        settings.put("ferry.s3.access-key", s3.accessKey());
        settings.put("ferry.s3.secret-key", s3.secretKey());
        settings.put("ferry.opensearch.hosts", node.hostAddress());
        settings.put("ferry.s3-to-opensearch.bucket", bucket);
        settings.put("ferry.s3-to-opensearch.prefix", "incoming/");
        settings.put("ferry.s3-to-opensearch.processed-prefix", "processed/");
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", "dl-" + unique);
        settings.put("ferry.s3-to-opensearch.index", index);
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "300");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            // An object is marked done (moved to processed/) only after its run was closed, and the event is sent
            // synchronously as it closes: once both are moved, both events have been through the route.
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() ->
                    client.listObjectsV2(b -> b.bucket(bucket).prefix("processed/")).contents().size() == 2);
            Runs runs = ferry.bean("runs", Runs.class);
            RunAccount badRun = run(runs, bucket + "/incoming/bad.ndjson");
            RunAccount cleanRun = run(runs, bucket + "/incoming/clean.ndjson");
            for (RunAccount run : List.of(badRun, cleanRun)) {
                assertThat(run.status()).as(run.subject()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).as(run.subject()).isEqualTo(run.written() + run.duplicate() + run.deadLettered());
            }
            assertThat(badRun.read()).isEqualTo(6);
            assertThat(badRun.written()).isEqualTo(5);
            assertThat(badRun.deadLettered()).isEqualTo(1);
            assertThat(cleanRun.deadLettered()).isZero();
            assertThat(count(node, index)).isEqualTo(8);

            assertThat(posts).hasSize(1);
            Post post = posts.get(0);
            assertThat(post.method()).isEqualTo("POST");
            assertThat(post.path()).isEqualTo("/ferry/dead-letters");
            assertThat(post.contentType()).startsWith("application/json");
            assertThat(post.pipelineHeader()).isEqualTo("s3-to-opensearch");
            JsonNode event = JSON.readTree(post.body());
            assertThat(event.get("pipeline").asText()).isEqualTo("s3-to-opensearch");
            assertThat(event.get("subject").asText()).isEqualTo(bucket + "/incoming/bad.ndjson");
            assertThat(event.get("runId").asText()).isEqualTo(badRun.runId());
            assertThat(event.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(event.get("deadLettered").asLong()).isEqualTo(1);
            assertThat(event.get("read").asLong()).isEqualTo(6);
            assertThat(event.get("written").asLong()).isEqualTo(5);
            assertThat(event.get("unaccounted").asLong()).isZero();
            assertThat(ferry.get("metrics").body())
                    .contains("ferry_run_events_failed_total{pipeline=\"s3-to-opensearch\"} 0.0");

            // the webhook now refuses: the next object's run is not changed by it, and is marked done as usual
            answer.set(500);
            client.putObject(b -> b.bucket(bucket).key("incoming/bad-again.ndjson"),
                    RequestBody.fromString("{\"n\":1}\n{\"n\":\n"));
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200)).until(() ->
                    client.listObjectsV2(b -> b.bucket(bucket).prefix("processed/")).contents().size() == 3);
            RunAccount refused = run(runs, bucket + "/incoming/bad-again.ndjson");
            assertThat(refused.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(refused.read()).isEqualTo(2);
            assertThat(refused.written()).isEqualTo(1);
            assertThat(refused.deadLettered()).isEqualTo(1);
            assertThat(posts).hasSize(2);
            assertThat(ferry.get("metrics").body())
                    .contains("ferry_run_events_failed_total{pipeline=\"s3-to-opensearch\"} 1.0")
                    .contains("ferry_runs_failed_total{pipeline=\"s3-to-opensearch\"} 0.0");
        } finally {
            webhook.stop(0);
        }
    }

    private static RunAccount run(Runs runs, String subject) {
        return runs.finished().stream().filter(r -> r.subject().equals(subject)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no finished run of " + subject));
    }

    private static long count(OpenSearchNode node, String index) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        http.send(HttpRequest.newBuilder(URI.create(node.url() + "/" + index + "/_refresh"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.url() + "/" + index + "/_count")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body()).get("count").asLong();
    }
}
