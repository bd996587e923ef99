package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.examples.ExampleRoutes;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

import static dev.ferry.s3.S3ToOpenSearchFixture.gzip;
import static dev.ferry.s3.S3ToOpenSearchFixture.lastRun;
import static dev.ferry.s3.S3ToOpenSearchFixture.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cookbook's s3-to-opensearch recipes (examples/), each applied as its README says and run against the real S3Proxy
 * and OpenSearch node: documents, indices and the run's accounting (read = written + filtered + dead-lettered).
 */
class S3ToOpenSearchExamplesTest {

    private static final String KEY = "incoming/events.ndjson.gz";

    @TempDir
    Path routes;

    @Test
    void dropTestDocuments() throws Exception {
        Loaded l = load("drop-test-documents", events(200, n -> true));
        assertRun(l.run, 200, 180, 20, 0);
        assertThat(l.f.count(l.f.index)).isEqualTo(180);
        assertThat(l.f.rawSource(l.f.index, id(l, 10), null)).isEmpty();          // status "test"
        // a document only read by the condition is indexed byte for byte as read
        assertThat(l.f.rawSource(l.f.index, id(l, 1), null)).hasValue(event(1, true));
    }

    @Test
    void addIngestedAt() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        Loaded l = load("add-ingested-at", events(50, n -> true));
        assertRun(l.run, 50, 50, 0, 0);
        JsonNode doc = source(l, 7);
        Instant stamped = Instant.parse(doc.get("ingested_at").asText());
        assertThat(stamped).isBetween(before, Instant.now());
        assertThat(doc.at("/ingest/source").asText()).isEqualTo(KEY);
        // the fields it had are all still there, numbers as read
        assertThat(doc.get("price").decimalValue()).isEqualByComparingTo("95.0");
        assertThat(l.f.rawSource(l.f.index, id(l, 7), null).orElseThrow()).contains("\"price\":95.0");
        assertThat(doc.at("/user/name").asText()).isEqualTo("u7");
    }

    @Test
    void indexByDate() throws Exception {
        S3ToOpenSearchFixture probe = fixture("index-by-date");
        probe.http("DELETE", "/logs-2026.11.29,logs-2026.11.30?ignore_unavailable=true", null);
        Loaded l = load(probe, "index-by-date", events(100, n -> n != 7));  // line 7 has no @timestamp
        assertRun(l.run, 100, 99, 0, 1);
        assertThat(l.f.count("logs-2026.11.29")).isEqualTo(50);             // even n: 2026-11-29T23:59:59Z
        assertThat(l.f.count("logs-2026.11.30")).isEqualTo(49);             // odd n but 7: 2026-11-30T08:00:00+01:00
        assertThat(l.f.count(l.f.index)).isZero();
        List<JsonNode> dead = l.f.deadLetters(KEY);
        assertThat(dead).singleElement().satisfies(d -> {
            assertThat(d.at("/source/line").asLong()).isEqualTo(7);
            assertThat(d.at("/error/type").asText()).isEqualTo("transform");
            assertThat(d.at("/error/reason").asText())
                    .isEqualTo("index: field @timestamp (in logs-%{@timestamp:yyyy.MM.dd}) is missing");
            assertThat(d.at("/document/_source/n").asInt()).isEqualTo(7);
        });
    }

    @Test
    void routeByField() throws Exception {
        S3ToOpenSearchFixture probe = fixture("route-by-field");
        probe.http("DELETE", "/audit-events?ignore_unavailable=true", null);
        Loaded l = load(probe, "route-by-field", events(100, n -> true));
        assertRun(l.run, 100, 100, 0, 0);
        assertThat(l.f.count("audit-events")).isEqualTo(25);                // n % 4 == 0
        assertThat(l.f.count(l.f.index)).isEqualTo(75);
        assertThat(l.f.rawSource("audit-events", id(l, 4), null)).hasValue(event(4, true));
    }

    @Test
    void maskPersonalField() throws Exception {
        Loaded l = load("mask-personal-field", events(20, n -> true));
        assertRun(l.run, 20, 20, 0, 0);
        JsonNode three = source(l, 3);
        String mask = three.get("email").asText();
        assertThat(mask).matches("[0-9a-f]{32}").doesNotContain("user3");
        assertThat(three.get("phone").asText()).isEqualTo("***");
        assertThat(three.at("/user/phone").asText()).isEqualTo("***");
        assertThat(three.at("/user/name").asText()).isEqualTo("u3");
        assertThat(source(l, 4).get("email").asText()).matches("[0-9a-f]{32}").isNotEqualTo(mask);
        // the same address gives the same mask (searches by person still work)
        assertThat(source(l, 3 + 10).get("email").asText()).isEqualTo(mask);
    }

    /** The stock opensearch component, configured by camel.component.opensearch.*, indexes every run's event. */
    @Test
    void recordRunsInOpenSearch() throws Exception {
        S3ToOpenSearchFixture f = fixture("run-history");
        String history = f.index + "-runs";
        ExampleRoutes applied = ExampleRoutes.apply("record-runs-in-opensearch", routes);
        assertThat(applied.replaced()).containsExactly("route:ferry-run-finished");
        Map<String, String> overrides = f.overrides();
        overrides.putAll(applied.settings());
        overrides.put("ferry.run-history.index", history);
        f.put(KEY, gzip(events(40, n -> true)));
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            await().atMost(Duration.ofMinutes(1)).until(() -> lastRun(runs(ferry), f.bucket + '/' + KEY).isPresent());
            RunAccount run = lastRun(runs(ferry), f.bucket + '/' + KEY).orElseThrow();
            assertRun(run, 40, 40, 0, 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> f.rawSource(history, run.runId(), null).isPresent());
            JsonNode doc = S3ToOpenSearchFixture.JSON.readTree(f.rawSource(history, run.runId(), null).orElseThrow());
            assertThat(doc.get("pipeline").asText()).isEqualTo("s3-to-opensearch");
            assertThat(doc.get("subject").asText()).isEqualTo(f.bucket + '/' + KEY);
            assertThat(doc.get("status").asText()).isEqualTo("SUCCEEDED");
            assertThat(doc.get("read").asLong()).isEqualTo(40);
            assertThat(doc.get("written").asLong()).isEqualTo(40);
        }
    }

    /**
     * The accounting holds whatever a transform route does. An edit that empties the batch behind Ferry's back (here
     * {@code clear()} on the list), so no document is written, filtered or dead-lettered: the run fails as unbalanced.
     * One that stops the exchange (a Camel {@code stop}, as an operator might try to drop documents) fails the run
     * saying so. Either way the object stays in place to be read again.
     */
    @Test
    void aTransformThatLosesDocumentsWithoutCountingThemFailsTheRun(@TempDir Path edit) throws Exception {
        assertThat(loseWith(edit, "setProperty: {name: lost, simple: \"${body.records.clear()}\"}").failure())
                .contains("records unaccounted for: read=30 but written+duplicate+filtered+dead_lettered=0");
        assertThat(loseWith(edit, "stop: {}").failure())
                .contains("the transform route (direct:s3-to-opensearch-transform) stopped the batch");
    }

    private RunAccount loseWith(Path edit, String step) throws Exception {
        java.nio.file.Files.writeString(edit.resolve("lose.camel.yaml"), """
                - route:
                    id: s3-to-opensearch-transform
                    from:
                      uri: direct:s3-to-opensearch-transform
                      steps:
                        - %s
                """.formatted(step));
        S3ToOpenSearchFixture f = fixture("lose");
        Path dir = java.nio.file.Files.createTempDirectory(routes, "routes");
        Map<String, String> overrides = f.overrides();
        overrides.putAll(ExampleRoutes.apply(edit, dir).settings());
        f.put(KEY, gzip(events(30, n -> true)));
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            await().atMost(Duration.ofMinutes(1)).until(() -> lastRun(runs(ferry), f.bucket + '/' + KEY).isPresent());
            RunAccount run = lastRun(runs(ferry), f.bucket + '/' + KEY).orElseThrow();
            assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(f.keys(f.bucket, "incoming/")).containsExactly(KEY);
            assertThat(f.count(f.index)).isZero();
            return run;
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Loaded(S3ToOpenSearchFixture f, RunAccount run) {
    }

    private static S3ToOpenSearchFixture fixture(String name) {
        EmbeddedServices services = EmbeddedServices.shared();
        return new S3ToOpenSearchFixture(services.s3(), services.openSearch(), name);
    }

    private Loaded load(String example, String content) throws Exception {
        return load(fixture(example), example, content);
    }

    /** Applies the example to a copy of routes/, puts one object and runs Ferry until the object's run ended. */
    private Loaded load(S3ToOpenSearchFixture f, String example, String content) throws Exception {
        ExampleRoutes applied = ExampleRoutes.apply(example, routes);
        assertThat(applied.replaced()).containsExactly("route:s3-to-opensearch-transform");
        Map<String, String> overrides = f.overrides();
        overrides.putAll(applied.settings());
        f.put(KEY, gzip(content));
        String subject = f.bucket + '/' + KEY;
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() ->
                    lastRun(runs(ferry), subject).isPresent());
            return new Loaded(f, lastRun(runs(ferry), subject).orElseThrow());
        }
    }

    private static void assertRun(RunAccount run, long read, long written, long filtered, long deadLettered) {
        assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
        assertThat(run.read()).as(run.summary()).isEqualTo(read);
        assertThat(run.written()).as(run.summary()).isEqualTo(written);
        assertThat(run.filtered()).as(run.summary()).isEqualTo(filtered);
        assertThat(run.deadLettered()).as(run.summary()).isEqualTo(deadLettered);
        assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.filtered() + run.deadLettered());
    }

    private static String id(Loaded l, long line) {
        return LineParser.derivedId(l.f.bucket, KEY, line);
    }

    private static JsonNode source(Loaded l, long line) throws Exception {
        return S3ToOpenSearchFixture.JSON.readTree(l.f.rawSource(l.f.index, id(l, line), null).orElseThrow());
    }

    /** n events, one per line: every 10th is a test event, every 4th an audit event; odd and even on two days. */
    private static String events(int n, IntPredicate withTimestamp) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append(event(i, withTimestamp.test(i))).append('\n');
        }
        return sb.toString();
    }

    private static String event(int n, boolean withTimestamp) {
        return "{\"n\":" + n + ",\"status\":\"" + (n % 10 == 0 ? "test" : "live") + "\",\"type\":\""
                + (n % 4 == 0 ? "audit" : "app") + "\""
                + (withTimestamp ? ",\"@timestamp\":\"" + (n % 2 == 0 ? "2026-11-29T23:59:59Z" : "2026-11-30T08:00:00+01:00") + "\"" : "")
                + ",\"email\":\"user" + (n % 10) + "@example.com\",\"phone\":\"+49 30 " + n + "\""
                + ",\"user\":{\"name\":\"u" + n + "\",\"phone\":\"555-" + n + "\"},\"price\":95.0}";
    }
}
