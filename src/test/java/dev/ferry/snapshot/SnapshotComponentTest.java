package dev.ferry.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.embedded.FreePorts;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.opensearch.IndexDoc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * ferry-snapshot used on its own in a route, against the shared real OpenSearch: a point in time of 300 documents on
 * two shards read in two slices, page by page; every document once, as stored, and the counts agree. A point in time
 * lost mid-read, or OpenSearch out of reach, fails the route: never an empty or short result.
 */
class SnapshotComponentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int DOCS = 300;
    private static OpenSearchNode node;
    private static String index;
    private static final Map<String, String> SOURCES = new HashMap<>();

    private CamelContext camel;

    @BeforeAll
    static void index() throws Exception {
        node = EmbeddedServices.shared().openSearch();
        index = "ferry-snapshot-" + System.nanoTime();
        HttpResponse<String> created = http("PUT", "/" + index, "{\"settings\":{\"number_of_shards\":2,\"number_of_replicas\":0}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        StringBuilder bulk = new StringBuilder();
        for (int n = 1; n <= DOCS; n++) {
            // 95.0 and the spacing must come back byte for byte
            String source = "{\"n\":" + n + ", \"score\":95.0,\"tag\":\"t" + (n % 3) + "\"}";
            SOURCES.put("d" + n, source);
            bulk.append("{\"index\":{\"_id\":\"d").append(n).append("\"}}\n").append(source).append('\n');
        }
        HttpResponse<String> loaded = http("POST", "/" + index + "/_bulk?refresh=true", bulk.toString());
        assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
        assertThat(JSON.readTree(loaded.body()).get("errors").asBoolean()).isFalse();
    }

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    @Test
    void twoSlicesHandOutEveryDocumentOnceAsStoredInPagesAndTheCountsAgree() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger largestPage = new AtomicInteger();
        Map<Integer, Long> handedPerSlice = new ConcurrentHashMap<>();
        AtomicInteger readAhead = new AtomicInteger();
        List<String> deadLetters = new CopyOnWriteArrayList<>();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read")
                        .to("ferry-snapshot:{{source.index}}?slices=2&pageSize=40&deadLetterUri=direct:dead-letters")
                        .split(simple("${body}")).parallelProcessing().stopOnException()
                            .split(simple("${body}")).streaming().stopOnException()
                                .to("ferry-records:dead-letter?when=${body[n]} == 7&reason=seven is unlucky")
                                .process(e -> {
                                    SnapshotPage page = e.getMessage().getBody(SnapshotPage.class);
                                    int size = page.records().size() + (int) page.deadLettered();
                                    largestPage.accumulateAndGet(size, Math::max);
                                    // the slice has handed out no page ahead of the split (its cursor fetches the next one from OpenSearch ahead)
                                    long handed = handedPerSlice.merge(page.slice(), (long) size, Long::sum);
                                    if (page.snapshot().slices().get(page.slice()).read() != handed) {
                                        readAhead.incrementAndGet();
                                    }
                                    for (IndexDoc doc : page.records()) {
                                        assertThat(doc.index()).isNull(); // keepIndex=false: the sink chooses
                                        if (seen.put(doc.id(), doc.source()) != null) {
                                            duplicates.incrementAndGet();
                                        }
                                    }
                                })
                            .end()
                        .end();
                from("direct:dead-letters").process(e -> deadLetters.add(e.getMessage().getBody(String.class)));
            }
        }, node.hostAddress());

        Exchange out = camel.createProducerTemplate().request("direct:read", e -> { });

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getHeader(SnapshotProducer.COUNT, Long.class)).isEqualTo(DOCS);
        assertThat(out.getMessage().getHeader(SnapshotProducer.SLICES, Integer.class)).isEqualTo(2);
        Snapshot snapshot = out.getMessage().getBody(Snapshot.class);
        assertThat(snapshot.read()).isEqualTo(DOCS);
        assertThat(snapshot.complete()).isTrue();
        assertThat(snapshot.slices()).extracting(SnapshotSlice::read).allMatch(n -> n > 0).containsOnly(
                snapshot.slices().get(0).read(), DOCS - snapshot.slices().get(0).read());
        assertThat(duplicates).hasValue(0);
        assertThat(readAhead).hasValue(0);
        assertThat(largestPage.get()).isEqualTo(40);
        Map<String, String> expected = new HashMap<>(SOURCES);
        expected.remove("d7");
        assertThat(seen).isEqualTo(expected);
        assertThat(deadLetters).hasSize(1);
        JsonNode letter = JSON.readTree(deadLetters.get(0));
        assertThat(letter.at("/document/_id").asText()).isEqualTo("d7");
        assertThat(letter.at("/error/reason").asText()).isEqualTo("seven is unlucky");
        assertThat(letter.at("/document/_source/n").asInt()).isEqualTo(7);
        // every slice ended: the point in time was released
        String pit = out.getMessage().getHeader(SnapshotProducer.PIT_ID, String.class);
        assertThat(http("GET", "/_search/point_in_time/_all", null).body()).doesNotContain(pit);
    }

    @Test
    void aQueryNarrowsTheSnapshotAndItsCount() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read")
                        .to("ferry-snapshot:{{source.index}}?slices=2&pageSize=7&query=RAW({\"range\":{\"n\":{\"lte\":30}}})")
                        .split(simple("${body}")).parallelProcessing().stopOnException()
                            .split(simple("${body}")).streaming().stopOnException()
                                .process(e -> e.getMessage().getBody(SnapshotPage.class).records()
                                        .forEach(doc -> seen.put(doc.id(), doc.source())))
                            .end()
                        .end();
            }
        }, node.hostAddress());

        Exchange out = camel.createProducerTemplate().request("direct:read", e -> { });

        assertThat(out.getException()).isNull();
        assertThat(out.getMessage().getHeader(SnapshotProducer.COUNT, Long.class)).isEqualTo(30);
        assertThat(out.getMessage().getBody(Snapshot.class).complete()).isTrue();
        assertThat(seen).hasSize(30).containsKeys("d1", "d30").doesNotContainKey("d31");
    }

    @Test
    void aConnectionResetMidPageIsFetchedAgainFromTheLastDocumentHandedOutNothingTwiceNothingSkipped() throws Exception {
        Map<String, String> seen = new ConcurrentHashMap<>();
        AtomicInteger duplicates = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        RunAccount run = new Runs(new PipelineMetrics(SimpleMeterRegistry::new)).begin("snapshot-test", index);
        try (FaultProxy proxy = new FaultProxy(URI.create(node.url()))) {
            start(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:read")
                            .to("ferry-snapshot:{{source.index}}?slices=2&pageSize=40&retryInitialDelayMs=10")
                            .split(simple("${body}")).parallelProcessing().stopOnException()
                                .split(simple("${body}")).streaming().stopOnException()
                                    .process(e -> {
                                        SnapshotPage page = e.getMessage().getBody(SnapshotPage.class);
                                        // armed once both slices are under way (their counts asked): it falls
                                        // inside a later page (~6 KB each)
                                        if (page.page() == 1 && started.incrementAndGet() == 2) {
                                            proxy.resetOnceAfter(3_000);
                                        }
                                        page.records().forEach(doc -> {
                                            if (seen.put(doc.id(), doc.source()) != null) {
                                                duplicates.incrementAndGet();
                                            }
                                        });
                                    })
                                .end()
                            .end();
                }
            }, proxy.hostAddress());

            Exchange out = camel.createProducerTemplate().request("direct:read",
                    e -> e.setProperty(RetryCounter.RUN_PROPERTY, run));

            assertThat(out.getException()).isNull();
            assertThat(run.retried()).isGreaterThanOrEqualTo(1);
            assertThat(run.read()).isEqualTo(DOCS);
            assertThat(duplicates).hasValue(0);
            assertThat(seen).isEqualTo(SOURCES);
            assertThat(out.getMessage().getBody(Snapshot.class).complete()).isTrue();
        }
    }

    @Test
    void aPointInTimeLostMidReadFailsTheRouteInsteadOfEndingShort() throws Exception {
        AtomicInteger handedOut = new AtomicInteger();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read")
                        .to("ferry-snapshot:{{source.index}}?slices=2&pageSize=50")
                        .split(simple("${body}")).parallelProcessing().stopOnException()
                            .split(simple("${body}")).streaming().stopOnException()
                                .process(e -> {
                                    handedOut.addAndGet(e.getMessage().getBody(SnapshotPage.class).size());
                                    // released behind the reader's back, as an expired keep-alive would be
                                    http("DELETE", "/_search/point_in_time", "{\"pit_id\":[\""
                                            + e.getMessage().getHeader(SnapshotProducer.PIT_ID, String.class) + "\"]}");
                                })
                            .end()
                        .end();
            }
        }, node.hostAddress());

        Exchange out = camel.createProducerTemplate().request("direct:read", e -> { });

        assertThat(out.getException()).isNotNull();
        assertThat(rootMessage(out.getException())).contains("point in time is gone");
        assertThat(handedOut.get()).isLessThan(DOCS);
    }

    @Test
    void openSearchOutOfReachFailsTheRouteNamingTheHost() throws Exception {
        String closed = "127.0.0.1:" + FreePorts.next();
        start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read").to("ferry-snapshot:{{source.index}}?slices=2")
                        .split(simple("${body}")).split(simple("${body}")).streaming().to("log:never");
            }
        }, closed);

        Exchange out = camel.createProducerTemplate().request("direct:read", e -> { });

        assertThat(out.getException()).isInstanceOf(SnapshotReader.OpenSearchReadException.class)
                .hasMessageContaining(closed).hasMessageContaining("cannot connect");
    }

    @Test
    void aQueryThatIsNotJsonStopsTheStartNamingTheEndpoint() {
        assertThatThrownBy(() -> start(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:read").to("ferry-snapshot:{{source.index}}?query=RAW({\"term\":)");
            }
        }, node.hostAddress())).hasStackTraceContaining("ferry-snapshot:" + index + ": query is not JSON");
    }

    private void start(RouteBuilder routes, String hosts) throws Exception {
        camel = new DefaultCamelContext();
        Properties settings = new Properties();
        settings.setProperty("ferry.opensearch.hosts", hosts); // the component's default connection
        settings.setProperty("source.index", index);
        camel.getPropertiesComponent().setInitialProperties(settings);
        camel.addRoutes(routes);
        camel.start();
    }

    private static String rootMessage(Throwable t) {
        StringBuilder s = new StringBuilder();
        for (; t != null; t = t.getCause()) {
            s.append(t.getMessage()).append(" <- ");
        }
        return s.toString();
    }

    private static HttpResponse<String> http(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(node.url() + path)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }
}
