package dev.ferry.records;

import dev.ferry.opensearch.IndexDoc;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The ferry-records operations on a batch of documents, in a plain Camel context (the component's logic; the
 * pipelines' end-to-end use is tested with the real servers in the cookbook tests).
 */
class RecordsComponentTest {

    private CamelContext camel;

    /** A batch that remembers what was filtered and dead-lettered. */
    static final class Batch implements RecordBatch<IndexDoc> {
        final List<IndexDoc> docs = new ArrayList<>();
        final List<Long> filtered = new ArrayList<>();
        final Map<Long, String> deadLettered = new LinkedHashMap<>();

        Batch(String... sources) {
            for (int i = 0; i < sources.length; i++) {
                docs.add(new IndexDoc(i + 1, "docs", "id-" + (i + 1), null, sources[i]));
            }
        }

        @Override public List<IndexDoc> records() { return docs; }
        @Override public void filtered(IndexDoc doc) { filtered.add(doc.line()); }
        @Override public void deadLetter(IndexDoc doc, String reason) { deadLettered.put(doc.line(), reason); }
    }

    @AfterEach
    void stop() {
        if (camel != null) {
            camel.stop();
        }
    }

    private Batch run(Batch batch, String... uris) throws Exception {
        camel = new DefaultCamelContext();
        camel.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                var route = from("direct:in");
                for (String uri : uris) {
                    route = route.to(uri);
                }
            }
        });
        camel.start();
        try (ProducerTemplate template = camel.createProducerTemplate()) {
            template.sendBody("direct:in", batch);
        }
        return batch;
    }

    private static String written(IndexDoc doc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.writeSource(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void dropAndDeadLetterKeepTheRestInOrderAndUntouchedDocumentsByteForByte() throws Exception {
        String keep1 = "{ \"status\" : \"live\", \"price\": 95.0, \"n\": 1 }";
        String keep2 = "{\"status\":\"live\",\"price\":1.10,\"big\":12345678901234567890}";
        Batch b = run(new Batch(keep1, "{\"status\":\"test\"}", keep2, "{\"status\":\"broken\",\"code\":7}"),
                "ferry-records:drop?when=${body[status]} == 'test'",
                "ferry-records:dead-letter?when=${body[status]} == 'broken'&reason=status broken, code ${body[code]}");
        assertThat(b.docs).extracting(IndexDoc::line).containsExactly(1L, 3L);
        assertThat(b.filtered).containsExactly(2L);
        assertThat(b.deadLettered).containsExactly(Map.entry(4L, "status broken, code 7"));
        // read by the conditions, never changed: written exactly as read (spaces, 95.0, 1.10, big numbers)
        assertThat(written(b.docs.get(0))).isEqualTo(keep1);
        assertThat(written(b.docs.get(1))).isEqualTo(keep2);
    }

    @Test
    void setRenameRemoveAndNestedFieldsRewriteOnlyTheDocumentsTheyChange() throws Exception {
        Batch b = run(new Batch("{\"a\":1,\"price\":95.0,\"user\":{\"name\":\"x\",\"mail\":\"m\"}}", "{\"kind\":\"other\"}"),
                "ferry-records:set?field=user.id&value=${body[user][name]}-1&when=${body[user]} != null",
                "ferry-records:set?field=version&value=2&type=number",
                "ferry-records:set?field=a&value=9&ifAbsent=true&type=number",
                "ferry-records:rename?field=user.mail&to=email",
                "ferry-records:remove?field=kind, nothing");
        assertThat(written(b.docs.get(0)))
                .isEqualTo("{\"a\":1,\"price\":95.0,\"user\":{\"name\":\"x\",\"id\":\"x-1\"},\"version\":2,\"email\":\"m\"}");
        assertThat(written(b.docs.get(1))).isEqualTo("{\"version\":2,\"a\":9}");
        assertThat(b.docs.get(1).sourceAsRead()).isEqualTo("{\"kind\":\"other\"}");
    }

    @Test
    void parseDateReadsIsoEpochAndPatternsAndDeadLettersWhatIsNoDate() throws Exception {
        Batch b = run(new Batch("{\"t\":\"2026-11-30T08:00:00+01:00\"}", "{\"t\":1764489600000}",
                        "{\"t\":\"31/12/2026 23:59:58\"}", "{\"t\":\"yesterday\"}", "{}"),
                "ferry-records:parse-date?field=t&to=@timestamp&when=${body[t]} not contains '/'",
                "ferry-records:parse-date?field=t&format=dd/MM/yyyy HH:mm:ss&zone=Europe/Berlin&to=@timestamp&when=${body[t]} contains '/'");
        assertThat(b.docs).extracting(d -> d.get("@timestamp"))
                .containsExactly("2026-11-30T07:00:00Z", "2025-11-30T08:00:00Z", "2026-12-31T22:59:58Z");
        assertThat(b.deadLettered).containsExactly(
                Map.entry(4L, "parse-date: field t: 'yesterday' is not a date in format iso"),
                Map.entry(5L, "parse-date: field t: it is missing"));
    }

    @Test
    void indexPatternNamesTheTargetFromFieldsAndDatesOrDeadLettersWithTheMissingField() throws Exception {
        Batch b = run(new Batch("{\"tenant\":\"acme\",\"@timestamp\":\"2026-11-30T23:30:00Z\"}",
                        "{\"tenant\":\"acme\",\"@timestamp\":\"2026-11-30T23:30:00-02:00\"}", "{\"tenant\":\"acme\"}"),
                "ferry-records:index?pattern=%{tenant}-logs-%{@timestamp:yyyy.MM.dd}");
        assertThat(b.docs).extracting(IndexDoc::index).containsExactly("acme-logs-2026.11.30", "acme-logs-2026.12.01");
        assertThat(b.deadLettered).containsExactly(
                Map.entry(3L, "index: field @timestamp (in %{tenant}-logs-%{@timestamp:yyyy.MM.dd}) is missing"));
        // choosing the index does not rewrite the document
        assertThat(written(b.docs.get(0))).isEqualTo("{\"tenant\":\"acme\",\"@timestamp\":\"2026-11-30T23:30:00Z\"}");
    }

    @Test
    void maskHashesTheSameValueToTheSameMaskAndRedacts() throws Exception {
        Batch b = run(new Batch("{\"email\":\"a@x\",\"phone\":\"1\"}", "{\"email\":\"a@x\"}", "{\"email\":\"b@x\"}"),
                "ferry-records:mask?field=email&method=hash&salt=pepper", "ferry-records:mask?field=phone");
        String mask = (String) b.docs.get(0).get("email");
        assertThat(mask).matches("[0-9a-f]{32}");
        assertThat(b.docs.get(1).get("email")).isEqualTo(mask);
        assertThat(b.docs.get(2).get("email")).isNotEqualTo(mask);
        assertThat(b.docs.get(0).get("phone")).isEqualTo("***");
    }

    @Test
    void fieldReferencesMeanWhatSimpleMeansOnTheFieldsMap() throws Exception {
        Batch b = run(new Batch("{\"q\":19,\"user\":{\"name\":\"ann\"},\"tags\":[\"a\"]}", "{\"q\":\"7\"}", "{\"user\":null}", "{}"),
                "ferry-records:set?field=label&value=${body[user][name]}/${body[q]}/${body[missing]}",
                "ferry-records:set?field=big&value=yes&when=RAW(${body[q]} > 18 && ${body[user][name]} == 'ann')",
                "ferry-records:set?field=nouser&value=yes&when=${body[user]} == null",
                "ferry-records:set?field=tagged&value=${body[tags].size()}&when=${body[tags]} != null");
        assertThat(b.docs).extracting(d -> d.get("label")).containsExactly("ann/19/", "/7/", "//", "//");
        assertThat(b.docs).extracting(d -> d.get("big")).containsExactly("yes", null, null, null);
        assertThat(b.docs).extracting(d -> d.get("nouser")).containsExactly(null, "yes", "yes", "yes");
        assertThat(b.docs.get(0).get("tagged")).isEqualTo(1); // left to simple (a method on the field), its type kept
    }

    @Test
    void mistakesInTheRouteFailAtStartWithWhatIsWrong() {
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:filter?when=true"))
                .isInstanceOf(FailedToCreateRouteException.class).hasStackTraceContaining("ferry-records:filter is not an operation");
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:drop"))
                .hasStackTraceContaining("ferry-records:drop needs when=...");
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:drop?when=${body[x] == 1"))
                .isInstanceOf(FailedToCreateRouteException.class);
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:set?field=a&value=1&colour=red"))
                .hasStackTraceContaining("colour");
        // a wrong type fails the start whatever the value is, not each record at run time
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:set?field=a&value=${body[x]}&type=integer"))
                .isInstanceOf(FailedToCreateRouteException.class).hasStackTraceContaining("not integer");
        assertThatThrownBy(() -> run(new Batch(), "ferry-records:set?field=a&value=now&type=number"))
                .isInstanceOf(FailedToCreateRouteException.class).hasStackTraceContaining("value=now is a time");
    }

    @Test
    void aBodyThatIsNoBatchFailsLoudly() {
        assertThatThrownBy(() -> {
            camel = new DefaultCamelContext();
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:in").to("ferry-records:drop?when=true");
                }
            });
            camel.start();
            try (ProducerTemplate t = camel.createProducerTemplate()) {
                t.sendBody("direct:in", "just text");
            }
        }).hasStackTraceContaining("works on a batch of records").hasStackTraceContaining("java.lang.String");
    }
}
