package dev.ferry.opensearch;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A document's fields read by scanning its bytes give what a JSON parser gives, and fields a transform adds are
 * written after the bytes read, which stay as they were.
 */
class IndexDocTest {

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).build();

    private static final List<String> DOCUMENTS = List.of(
            "{\"a\":1,\"b\":\"two\",\"c\":3.50,\"d\":true,\"e\":false,\"f\":null}",
            " { \"a\" : -7 , \"nested\" : {\"a\":\"inner\",\"s\":\"} ] { [\"} , \"b\" : [1, \"x\\\"]\", {\"b\":2}] } ",
            "{\"text\":\"quote \\\" backslash \\\\ unicode \\u00e9\",\"emoji\":\"caf\u00e9 \uD83D\uDE00\",\"\u00fcber\":1}",
            "{\"big\":123456789012345678901234567890,\"long\":9223372036854775807,\"int\":2147483647,\"neg\":-2147483649,\"exp\":1e3,\"zero\":-0}",
            "{\"esc\\u0061ped\":\"name\",\"a\":\"after an escaped name\"}",
            "{\"dup\":1,\"dup\":2}",
            "{}",
            "{ }");

    private static final List<String> KEYS = List.of("a", "b", "c", "d", "e", "f", "nested", "s", "text", "emoji",
            "\u00fcber", "big", "long", "int", "neg", "exp", "zero", "escaped", "dup", "absent", "");

    @Test
    void aFieldReadByScanningIsWhatTheParserReads() throws Exception {
        for (String json : DOCUMENTS) {
            Map<String, Object> parsed = MAPPER.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() { });
            for (String key : KEYS) {
                IndexDoc doc = new IndexDoc(1, "i", null, null, json);
                Object expected = json.startsWith("{\"dup\"") && key.equals("dup") ? Integer.valueOf(1) : parsed.get(key);
                assertThat(doc.view().containsKey(key)).as("%s in %s", key, json).isEqualTo(parsed.containsKey(key));
                assertThat(doc.view().get(key)).as("%s in %s", key, json).isEqualTo(expected);
                if (expected != null) {
                    assertThat(doc.view().get(key)).as("type of %s in %s", key, json).isInstanceOf(expected.getClass());
                }
                assertThat(doc.source()).as("reading changes nothing").isEqualTo(json);
            }
        }
        IndexDoc numbers = new IndexDoc(1, "i", null, null, DOCUMENTS.get(3));
        assertThat(numbers.view().get("big")).isEqualTo(new BigInteger("123456789012345678901234567890"));
        assertThat(numbers.view().get("long")).isEqualTo(Long.MAX_VALUE);
        assertThat(numbers.view().get("neg")).isEqualTo(-2147483649L);
        assertThat(numbers.view().get("exp")).isEqualTo(new BigDecimal("1e3"));
    }

    @Test
    void aBrokenDocumentIsNamedByItsLineWhenAFieldIsRead() {
        IndexDoc doc = new IndexDoc(42, "i", null, null, "{\"a\":1,\"b\":[1,2");
        assertThatThrownBy(() -> doc.view().get("b")).hasMessageContaining("line 42");
    }

    @Test
    void addedFieldsFollowTheBytesReadBeforeTheClosingBrace() throws Exception {
        IndexDoc doc = new IndexDoc(1, "i", null, null, "{\"price\":95.0, \"n\":1}  ");
        doc.set("ingested_at", "2026-12-01T02:00:00.000Z");
        doc.set("tag", "say \"hi\"");
        doc.set("count", new BigDecimal("3"));
        doc.set("tag", "changed");
        String expected = "{\"price\":95.0, \"n\":1,\"ingested_at\":\"2026-12-01T02:00:00.000Z\",\"tag\":\"changed\",\"count\":3}";
        assertThat(doc.source()).isEqualTo(expected);
        assertThat(doc.sourceLength()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8).length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        doc.writeSource(out);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        out.reset();
        assertThat(doc.writeSource((java.io.OutputStream) out)).isEqualTo(out.size());
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expected);
        assertThat(doc.view().get("tag")).isEqualTo("changed");
        assertThat(doc.sourceAsRead()).isEqualTo("{\"price\":95.0, \"n\":1}  ");

        IndexDoc empty = new IndexDoc(2, "i", null, null, "{ }");
        empty.set("a", 1);
        assertThat(empty.source()).isEqualTo("{ \"a\":1}");
        assertThat(MAPPER.readTree(empty.source()).get("a").asInt()).isEqualTo(1);
    }

    @Test
    void aDocumentParsedAfterAFieldWasAddedKeepsTheField() {
        IndexDoc doc = new IndexDoc(1, "i", null, null, "{\"a\":1}");
        doc.set("b", "new");
        assertThat(doc.source()).isEqualTo("{\"a\":1,\"b\":\"new\"}");
        doc.set("a", 2); // an existing field: the document is parsed and written from its fields
        assertThat(doc.source()).isEqualTo("{\"a\":2,\"b\":\"new\"}");
    }
}
