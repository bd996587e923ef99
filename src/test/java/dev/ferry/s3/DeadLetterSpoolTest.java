package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ferry.opensearch.IndexDoc;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterSpoolTest {

    @Test
    void eachFailedDocumentIsOneNdjsonLineWithItsSourceStatusErrorAndDocument() throws Exception {
        Path file;
        try (DeadLetterSpool spool = new DeadLetterSpool("in", "a/b.ndjson.gz")) {
            assertThat(spool.finish()).isNull(); // nothing to upload yet
            spool.rejected(new IndexDoc(4, "docs", "id-4", "r1", "{\"price\": 95.0}"), 400, "mapper_parsing_exception",
                    "failed to parse field [price]");
            spool.unparseable(SourceLine.of(9, "{\"a\":\"\u00e9".getBytes("UTF-8")), "invalid_json", "line 9 is not a JSON document: eof");
            file = spool.finish();
            List<String> lines = Files.readAllLines(file);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).contains("\"_source\":{\"price\": 95.0}"); // bytes as read
            ObjectMapper json = new ObjectMapper();
            JsonNode first = json.readTree(lines.get(0));
            assertThat(first.at("/source/bucket").asText()).isEqualTo("in");
            assertThat(first.at("/source/key").asText()).isEqualTo("a/b.ndjson.gz");
            assertThat(first.at("/source/line").asLong()).isEqualTo(4);
            assertThat(first.at("/status").asInt()).isEqualTo(400);
            assertThat(first.at("/error/type").asText()).isEqualTo("mapper_parsing_exception");
            assertThat(first.at("/document/_id").asText()).isEqualTo("id-4");
            assertThat(first.at("/document/_routing").asText()).isEqualTo("r1");
            JsonNode second = json.readTree(lines.get(1));
            assertThat(second.at("/document_text").asText()).isEqualTo("{\"a\":\"\u00e9");
            assertThat(second.at("/error/reason").asText()).startsWith("line 9");
            assertThat(spool.count()).isEqualTo(2);
        }
        assertThat(file).doesNotExist();
    }
}
