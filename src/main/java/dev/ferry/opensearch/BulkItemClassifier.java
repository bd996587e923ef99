package dev.ferry.opensearch;

import java.util.Set;

/**
 * Sorts one bulk item (or one failed bulk request) into indexed, retryable or rejected. Retryable means the node was
 * busy or briefly unavailable (429, 502-504, rejected execution): the same document may succeed later. Everything
 * else (mapping conflicts, parse errors, bad ids) will fail the same way again, so it goes to the dead letters.
 */
public final class BulkItemClassifier {

    public enum Outcome { INDEXED, RETRYABLE, REJECTED }

    private static final Set<Integer> RETRYABLE_STATUS = Set.of(429, 502, 503, 504);
    private static final Set<String> RETRYABLE_TYPES = Set.of("es_rejected_execution_exception",
            "opensearch_rejected_execution_exception", "rejected_execution_exception", "circuit_breaking_exception");

    private BulkItemClassifier() {
    }

    public static Outcome classify(int status, String errorType) {
        if (errorType == null && status >= 200 && status < 300) {
            return Outcome.INDEXED;
        }
        if (RETRYABLE_STATUS.contains(status) || (errorType != null && RETRYABLE_TYPES.contains(errorType))) {
            return Outcome.RETRYABLE;
        }
        return Outcome.REJECTED;
    }

    /** Status codes a whole bulk request may be retried on (besides I/O failures, which are always retried). */
    public static boolean retryableStatus(int status) {
        return RETRYABLE_STATUS.contains(status);
    }
}
