package dev.ferry.opensearch;

import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch._types.ErrorCause;
import org.opensearch.client.opensearch.core.bulk.BulkResponseItem;
import org.opensearch.client.opensearch.core.bulk.OperationType;

import java.util.List;

import static dev.ferry.opensearch.BulkItemClassifier.Outcome.INDEXED;
import static dev.ferry.opensearch.BulkItemClassifier.Outcome.REJECTED;
import static dev.ferry.opensearch.BulkItemClassifier.Outcome.RETRYABLE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bulk responses are checked item by item: busy refusals are retried, the rest dead-lettered, the count exact. */
class BulkIndexerSortTest {

    private static BulkResponseItem ok(String id, int status) {
        return BulkResponseItem.of(b -> b.operationType(OperationType.Index).index("docs").id(id).status(status).result("created"));
    }

    private static BulkResponseItem failed(String id, int status, String type, String reason) {
        return BulkResponseItem.of(b -> b.operationType(OperationType.Index).index("docs").id(id).status(status)
                .error(ErrorCause.of(e -> e.type(type).reason(reason)
                        .causedBy(ErrorCause.of(c -> c.type("number_format_exception").reason("For input string: \"abc\""))))));
    }

    private static IndexDoc doc(int line) {
        return new IndexDoc(line, "docs", "id-" + line, null, "{}");
    }

    @Test
    void itemsAreSortedIntoIndexedRetryableAndRejected() {
        List<IndexDoc> sent = List.of(doc(1), doc(2), doc(3), doc(4), doc(5));
        BulkIndexer.Sorted sorted = BulkIndexer.sort(sent, List.of(
                ok("id-1", 201),
                failed("id-2", 429, "es_rejected_execution_exception", "rejected execution of coordinating operation"),
                failed("id-3", 400, "mapper_parsing_exception", "failed to parse field [price] of type [long]"),
                ok("id-4", 200),
                failed("id-5", 503, "unavailable_shards_exception", "primary shard is not active")));
        assertThat(sorted.indexed()).isEqualTo(2);
        assertThat(sorted.retryable()).extracting(f -> f.doc().line()).containsExactly(2L, 5L);
        assertThat(sorted.rejected()).singleElement().satisfies(f -> {
            assertThat(f.doc().line()).isEqualTo(3);
            assertThat(f.status()).isEqualTo(400);
            assertThat(f.errorType()).isEqualTo("mapper_parsing_exception");
            assertThat(f.reason()).isEqualTo("failed to parse field [price] of type [long]"
                    + " (caused by number_format_exception: For input string: \"abc\")");
        });
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
    }

    @Test
    void aResponseThatDoesNotMatchTheRequestIsAnErrorNotASilentLoss() {
        assertThatThrownBy(() -> BulkIndexer.sort(List.of(doc(1), doc(2)), List.of(ok("id-1", 201))))
                .hasMessageContaining("1 items for 2 documents");
    }
}
