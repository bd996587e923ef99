package dev.ferry.s3;

import dev.ferry.opensearch.IndexDoc;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class LineParserTest {

    private static SourceLine line(long n, String text) {
        return SourceLine.of(n, text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aDumpLineKeepsItsIdRoutingIndexAndSourceBytesAsRead() {
        LineParser parser = new LineParser("fallback", true, "");
        String source = "{ \"price\": 95.0, \"name\": \"caf\u00e9\", \"tags\": [1, 2.50] }";
        LineParser.Parsed p = parser.parse(line(7, "{\"_index\":\"orders\",\"_id\":\"o-1\",\"_routing\":\"c9\",\"_source\":"
                + source + "}"), "in", "a.ndjson");
        assertThat(p.ok()).isTrue();
        assertThat(p.doc()).isEqualTo(new IndexDoc(7, "orders", "o-1", "c9", source));
    }

    @Test
    void theConfiguredIndexOverridesTheLineWhenIndexFromLineIsOff() {
        LineParser parser = new LineParser("restored", false, null);
        IndexDoc doc = parser.parse(line(1, "{\"_index\":\"orders\",\"_id\":\"o-1\",\"_source\":{}}"), "b", "k").doc();
        assertThat(doc.index()).isEqualTo("restored");
        assertThat(doc.id()).isEqualTo("o-1");
    }

    @Test
    void aPlainDocumentIsTheSourceWithADeterministicIdFromBucketKeyAndLine() {
        LineParser parser = new LineParser("docs", true, "");
        IndexDoc doc = parser.parse(line(3, "{\"a\":1.50}"), "in", "x/y.ndjson.gz").doc();
        assertThat(doc.source()).isEqualTo("{\"a\":1.50}");
        assertThat(doc.index()).isEqualTo("docs");
        assertThat(doc.routing()).isNull();
        assertThat(doc.id()).isEqualTo(LineParser.derivedId("in", "x/y.ndjson.gz", 3))
                .isNotEqualTo(LineParser.derivedId("in", "x/y.ndjson.gz", 4))
                .isNotEqualTo(LineParser.derivedId("in", "x/z.ndjson.gz", 3))
                .hasSize(24);
        assertThat(parser.parse(line(3, "{\"a\":1.50}"), "in", "x/y.ndjson.gz").doc().id()).isEqualTo(doc.id());
    }

    @Test
    void theIdFieldGivesTheIdWhenPresentAndTheDerivedIdOtherwise() {
        LineParser parser = new LineParser("docs", true, "sku");
        assertThat(parser.parse(line(1, "{\"sku\":\"A-17\",\"q\":2}"), "b", "k").doc().id()).isEqualTo("A-17");
        assertThat(parser.parse(line(1, "{\"sku\":1234,\"q\":2}"), "b", "k").doc().id()).isEqualTo("1234");
        assertThat(parser.parse(line(2, "{\"q\":2}"), "b", "k").doc().id()).isEqualTo(LineParser.derivedId("b", "k", 2));
    }

    @Test
    void invalidJsonIsRejectedWithTheLineNumberAndWhy() {
        LineParser parser = new LineParser("docs", true, "");
        LineParser.Parsed broken = parser.parse(line(12, "{\"a\":1,"), "b", "k");
        assertThat(broken.ok()).isFalse();
        assertThat(broken.errorType()).isEqualTo("invalid_json");
        assertThat(broken.reason()).startsWith("line 12 is not a JSON document: ");
        assertThat(parser.parse(line(1, "[1,2]"), "b", "k").reason()).endsWith("not a JSON object");
        assertThat(parser.parse(line(1, "{\"a\":1} {\"b\":2}"), "b", "k").reason()).endsWith("text after the JSON object");
        assertThat(parser.parse(line(1, "not json"), "b", "k").ok()).isFalse();
    }

    @Test
    void aTruncatedLineIsRejectedAsTooLong() {
        LineParser.Parsed p = new LineParser("docs", true, "")
                .parse(new SourceLine(5, "{\"a\":\"xx".getBytes(), 50_000_000, true), "b", "k");
        assertThat(p.errorType()).isEqualTo("line_too_long");
        assertThat(p.reason()).contains("line 5 is 50000000 bytes");
    }
}
