package dev.ferry.bulk;

import java.util.Set;

/**
 * Sorts one bulk item (or one failed bulk request) into indexed, retryable or rejected. Retryable means the failure
 * is about the cluster, not the document: busy or unavailable (429, any 5xx, rejected execution, circuit breaker) or
 * blocked (cluster_block_exception: read-only index or cluster, no master, disk watermark), or the target index is
 * closed or missing (auto-create off). The same document may
 * succeed later, so it is retried, and when retries are spent the run fails: such a document is never dead-lettered.
 * Everything else (4xx: mapping conflicts, parse errors, bad ids, version conflicts) will fail the same way again, so
 * it goes to the dead letters.
 */
public final class BulkItemClassifier {

    public enum Outcome { INDEXED, RETRYABLE, REJECTED }

    private static final Set<String> RETRYABLE_TYPES = Set.of("es_rejected_execution_exception",
            "opensearch_rejected_execution_exception", "rejected_execution_exception", "circuit_breaking_exception",
            "cluster_block_exception", "unavailable_shards_exception", "no_shard_available_action_exception",
            "process_cluster_event_timeout_exception", "node_not_connected_exception", "master_not_discovered_exception",
            "cluster_manager_not_discovered_exception",
            // the target index closed or missing (auto-create off): not the document's fault either
            "index_closed_exception", "index_not_found_exception");

    private BulkItemClassifier() {
    }

    public static Outcome classify(int status, String errorType) {
        if (errorType == null && status >= 200 && status < 300) {
            return Outcome.INDEXED;
        }
        if (retryableStatus(status) || (errorType != null && RETRYABLE_TYPES.contains(errorType))) {
            return Outcome.RETRYABLE;
        }
        return Outcome.REJECTED;
    }

    /** The cluster asked to slow down: 429, or a thread pool's queue full (rejected execution). */
    public static boolean throttled(int status, String errorType) {
        return status == 429 || (errorType != null && errorType.endsWith("rejected_execution_exception"));
    }

    /** Status codes a whole bulk request may be retried on (besides I/O failures, which are always retried). */
    public static boolean retryableStatus(int status) {
        return status == 429 || status >= 500;
    }

    /** A whole request refused for a block (403 cluster_block_exception): about the cluster, so retried. */
    public static boolean retryableRequest(int status, String body) {
        return retryableStatus(status) || (body != null && body.contains("cluster_block_exception"));
    }
}
