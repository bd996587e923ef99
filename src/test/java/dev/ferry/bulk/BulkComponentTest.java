package dev.ferry.bulk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ferry-bulk: used on its own in any route, against the shared real OpenSearch: no pipeline, no run, no dead-letter
 * sink; what OpenSearch refused comes back in headers, never dropped silently.
 */
class BulkComponentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private CamelContext camel;

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    @Test
    void standaloneRouteIndexesJsonDocumentsAndNdjsonAndReportsTheRefusedOneWithItsReason() throws Exception {
        OpenSearchNode node = EmbeddedServices.shared().openSearch();
        String index = "ferry-bulk-standalone-" + System.nanoTime();
        HttpResponse<String> created = http(node, "PUT", "/" + index, "{\"settings\":{\"number_of_shards\":1,"
                + "\"number_of_replicas\":0},\"mappings\":{\"properties\":{\"n\":{\"type\":\"integer\"}}}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);

        camel = new DefaultCamelContext();
        Properties settings = new Properties();
        settings.setProperty("ferry.opensearch.hosts", node.hostAddress()); // the component's default connection
        settings.setProperty("target.index", index);
        camel.getPropertiesComponent().setInitialProperties(settings);
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:in").to("ferry-bulk:{{target.index}}?maxItemRetries=1&retryInitialDelayMs=10");
            }
        });
        camel.start();

        Exchange out = camel.createProducerTemplate().request("direct:in", e -> e.getMessage().setBody(List.of(
                "{\"n\":1,\"tag\":\"a\"}", "{\"n\":\"not a number\",\"tag\":\"b\"}", "{\"n\":3,\"tag\":\"c\"}")));

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getHeader(BulkProducer.INDEXED, Long.class)).isEqualTo(2L);
        assertThat(out.getMessage().getHeader(BulkProducer.REFUSED, Long.class)).isEqualTo(1L);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> refusals = out.getMessage().getHeader(BulkProducer.REFUSALS, List.class);
        assertThat(refusals).hasSize(1);
        assertThat(refusals.get(0)).containsEntry("document", 2L).containsEntry("index", index).containsEntry("status", 400);
        assertThat((String) refusals.get(0).get("type")).contains("parsing_exception");
        assertThat((String) refusals.get(0).get("reason")).contains("[n]");

        Exchange ndjson = camel.createProducerTemplate().request("direct:in",
                e -> e.getMessage().setBody("{\"n\":4,\"tag\":\"d\"}\n\n{\"n\":5,\"tag\":\"e\"}\n"));
        assertThat(ndjson.getException()).isNull();
        assertThat(ndjson.getMessage().getHeader(BulkProducer.INDEXED, Long.class)).isEqualTo(2L);
        assertThat(ndjson.getMessage().getHeader(BulkProducer.REFUSALS, List.class)).isEmpty();

        http(node, "POST", "/" + index + "/_refresh", null);
        JsonNode hits = JSON.readTree(http(node, "GET", "/" + index + "/_search?size=10", null).body()).get("hits").get("hits");
        List<String> tags = new ArrayList<>();
        hits.forEach(h -> tags.add(h.get("_source").get("tag").asText()));
        assertThat(tags).containsExactlyInAnyOrder("a", "c", "d", "e");
    }

    private static HttpResponse<String> http(OpenSearchNode node, String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(node.url() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
