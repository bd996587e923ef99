package dev.ferry.bulk;

import dev.ferry.opensearch.IndexDoc;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.ferry.bulk.BulkItemClassifier.Outcome.INDEXED;
import static dev.ferry.bulk.BulkItemClassifier.Outcome.REJECTED;
import static dev.ferry.bulk.BulkItemClassifier.Outcome.RETRYABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bulk responses are checked item by item: busy refusals are retried, the rest dead-lettered, the count exact. */
class BulkIndexerSortTest {

    /** A real-shaped _bulk response (as OpenSearch 2.19 answers) with one item of each kind. */
    private static final String RESPONSE = """
            {"took":30,"errors":true,"items":[
             {"index":{"_index":"docs","_id":"id-1","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}},
             {"index":{"_index":"docs","_id":"id-2","status":429,"error":{"type":"es_rejected_execution_exception","reason":"rejected execution of coordinating operation [shard_detail=[docs][0][P]]"}}},
             {"index":{"_index":"docs","_id":"id-3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [price] of type [long] in document with id 'id-3'. Preview of field's value: 'abc'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \\"abc\\""}}}},
             {"index":{"_index":"docs","_id":"id-4","_version":2,"result":"updated","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":1,"_primary_term":1,"status":200}},
             {"index":{"_index":"docs","_id":"id-5","status":503,"error":{"type":"unavailable_shards_exception","reason":"primary shard is not active"}}}
            ]}""";

    private static IndexDoc doc(int line) {
        return new IndexDoc(line, "docs", "id-" + line, null, "{\"price\": 95.0}");
    }

    @Test
    void aBulkResponseIsReadItemByItemAndSortedIntoIndexedRetryableAndRejected() throws Exception {
        List<BulkIndexer.ItemResult> items = BulkIndexer.items(new ByteArrayInputStream(RESPONSE.getBytes(StandardCharsets.UTF_8)));
        assertThat(items).extracting(BulkIndexer.ItemResult::status).containsExactly(201, 429, 400, 200, 503);

        BulkIndexer.Sorted sorted = BulkIndexer.sort(List.of(doc(1), doc(2), doc(3), doc(4), doc(5)), items);
        assertThat(sorted.indexed()).isEqualTo(2);
        assertThat(sorted.retryable()).extracting(f -> f.doc().line()).containsExactly(2L, 5L);
        // the 429 es_rejected_execution_exception asked Ferry to slow down; the 503 unavailable shard did not
        assertThat(sorted.throttled()).isEqualTo(1);
        assertThat(sorted.rejected()).singleElement().satisfies(f -> {
            assertThat(f.doc().line()).isEqualTo(3);
            assertThat(f.status()).isEqualTo(400);
            assertThat(f.errorType()).isEqualTo("mapper_parsing_exception");
            assertThat(f.reason()).startsWith("failed to parse field [price] of type [long]")
                    .endsWith("(caused by illegal_argument_exception: For input string: \"abc\")");
        });
    }

    @Test
    void itemsRefusedAsTooBusyCountAsThrottled() {
        List<BulkIndexer.ItemResult> items = List.of(new BulkIndexer.ItemResult(429, null, null),
                new BulkIndexer.ItemResult(500, "opensearch_rejected_execution_exception", "queue full"),
                new BulkIndexer.ItemResult(429, "es_rejected_execution_exception", "rejected execution"),
                new BulkIndexer.ItemResult(503, "unavailable_shards_exception", "primary shard is not active"),
                new BulkIndexer.ItemResult(500, "circuit_breaking_exception", "data too large"),
                new BulkIndexer.ItemResult(201, null, null));
        BulkIndexer.Sorted sorted = BulkIndexer.sort(List.of(doc(1), doc(2), doc(3), doc(4), doc(5), doc(6)), items);
        assertThat(sorted.retryable()).hasSize(5);
        assertThat(sorted.throttled()).isEqualTo(3);
    }

    @Test
    void theBulkBodyCarriesIdsAndRoutingAndTheSourceBytesAsRead() throws Exception {
        String body = new String(BulkIndexer.body(List.of(doc(1), new IndexDoc(2, "other", "d-2", "r9", "{\"n\": 1.50, \"t\": \"caf\u00e9\"}"))),
                StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("""
                {"index":{"_index":"docs","_id":"id-1"}}
                {"price": 95.0}
                {"index":{"_index":"other","_id":"d-2","routing":"r9"}}
                {"n": 1.50, "t": "caf\u00e9"}
                """);
    }

    @Test
    void aDocumentWithoutAnIdLeavesItToOpenSearch() {
        String body = new String(BulkIndexer.body(List.of(new IndexDoc(1, "docs", null, null, "{\"a\":1}"))),
                StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("{\"index\":{\"_index\":\"docs\"}}\n{\"a\":1}\n");
    }

    @Test
    void classificationByStatusAndErrorType() {
        assertThat(BulkItemClassifier.classify(201, null)).isEqualTo(INDEXED);
        assertThat(BulkItemClassifier.classify(429, "es_rejected_execution_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(500, "rejected_execution_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(502, null)).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(400, "mapper_parsing_exception")).isEqualTo(REJECTED);
        assertThat(BulkItemClassifier.classify(400, "document_parsing_exception")).isEqualTo(REJECTED);
        assertThat(BulkItemClassifier.classify(409, "version_conflict_engine_exception")).isEqualTo(REJECTED);
        // about the cluster or the index, never the document: retried, then the run fails (never a dead letter)
        assertThat(BulkItemClassifier.classify(403, "cluster_block_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(429, "cluster_block_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(500, null)).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(503, "unavailable_shards_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(400, "index_closed_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.classify(404, "index_not_found_exception")).isEqualTo(RETRYABLE);
        assertThat(BulkItemClassifier.retryableRequest(503, "")).isTrue();
        assertThat(BulkItemClassifier.retryableRequest(403, "{\"error\":{\"type\":\"cluster_block_exception\"}}")).isTrue();
        assertThat(BulkItemClassifier.retryableRequest(400, "{\"error\":{\"type\":\"illegal_argument_exception\"}}")).isFalse();
        assertThat(BulkItemClassifier.retryableRequest(404, "no such bucket")).isFalse();
    }

    @Test
    void aResponseThatDoesNotMatchTheRequestIsAnErrorNotASilentLoss() {
        assertThatThrownBy(() -> BulkIndexer.sort(List.of(doc(1), doc(2)), List.of(new BulkIndexer.ItemResult(201, null, null))))
                .hasMessageContaining("1 items for 2 documents");
    }
}
