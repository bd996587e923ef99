package dev.ferry.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * examples/reindex-with-transform applied as its README says, against the shared real OpenSearch: index B ends up with
 * exactly A's documents minus the test ones, each with schema 2 and otherwise as in A, and the run balances.
 */
class ReindexWithTransformExampleTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int DOCS = 250;

    @Test
    void indexBHoldsExactlyTheDocumentsOfAMinusTheTestOnesWithSchema2AndTheRunBalances(@TempDir Path routes) throws Exception {
        ExampleRoutes example = ExampleRoutes.apply("reindex-with-transform", routes);
        OpenSearchNode node = EmbeddedServices.shared().openSearch();
        String unique = ProcessHandle.current().pid() + "-" + System.nanoTime();
        String a = "reindex-a-" + unique;
        String b = "reindex-b-" + unique;
        assertThat(http(node, "PUT", "/" + a, "{\"settings\":{\"number_of_shards\":2,\"number_of_replicas\":0}}").statusCode())
                .isEqualTo(200);
        Map<String, JsonNode> expected = new HashMap<>();
        StringBuilder bulk = new StringBuilder();
        for (int n = 1; n <= DOCS; n++) {
            String status = n % 25 == 0 ? "test" : "live";
            String source = "{\"n\":" + n + ",\"status\":\"" + status + "\",\"price\":" + n + ".50}";
            bulk.append("{\"index\":{\"_id\":\"p").append(n).append("\"}}\n").append(source).append('\n');
            if (!status.equals("test")) {
                ObjectNode doc = (ObjectNode) JSON.readTree(source);
                doc.put("schema", 2);
                expected.put("p" + n, doc);
            }
        }
        HttpResponse<String> loaded = http(node, "POST", "/" + a + "/_bulk?refresh=true", bulk.toString());
        assertThat(JSON.readTree(loaded.body()).get("errors").asBoolean()).as(loaded.body()).isFalse();

        Map<String, String> settings = new HashMap<>(example.settings());
        settings.put("ferry.opensearch.hosts", node.hostAddress());
        settings.put("ferry.reindex.source-index", a);
        settings.put("ferry.reindex.target-index", b);
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            Runs runs = ferry.bean("runs", Runs.class);
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(200))
                    .until(() -> runs.finished().stream().anyMatch(r -> r.pipeline().equals("reindex")));
            RunAccount run = runs.finished().stream().filter(r -> r.pipeline().equals("reindex")).findFirst().orElseThrow();
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(run.read()).isEqualTo(DOCS);
            assertThat(run.filtered()).isEqualTo(10);
            assertThat(run.written()).isEqualTo(DOCS - 10);
            assertThat(run.read()).isEqualTo(run.written() + run.filtered() + run.deadLettered());
        }

        http(node, "POST", "/" + b + "/_refresh", null);
        JsonNode hits = JSON.readTree(http(node, "GET", "/" + b + "/_search?size=1000", null).body()).path("hits").path("hits");
        Map<String, JsonNode> actual = new HashMap<>();
        hits.forEach(h -> actual.put(h.get("_id").asText(), h.get("_source")));
        assertThat(actual).isEqualTo(expected);
    }

    private static HttpResponse<String> http(OpenSearchNode node, String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(node.url() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
