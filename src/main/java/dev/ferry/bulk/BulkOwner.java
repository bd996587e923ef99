package dev.ferry.bulk;

import dev.ferry.opensearch.IndexDoc;

/**
 * What a pipeline's batch tells {@code ferry-bulk:} about where it belongs, when the body implements it
 * (s3-to-opensearch's {@code DocumentBatch} does): where documents OpenSearch refuses one by one go (the pipeline's
 * dead letters), and a flag shared by the batches of one source, so that once one batch found the cluster failing
 * the others stop retrying. Without it (standalone use) the producer reports refusals in headers instead.
 */
public interface BulkOwner {

    /** Names the source of the batch in messages (e.g. bucket/key). */
    String source();

    /** A document OpenSearch refused (a 4xx item): dead-letter it with what OpenSearch said. Not counted here. */
    void refused(IndexDoc doc, int status, String errorType, String reason);

    /** A batch of this source found the cluster failing: the source's other batches stop retrying. */
    void abandon(String reason);

    /** Why the source was given up, or null. */
    String abandoned();

    /** True at most once per interval, for a progress line of a long source. */
    default boolean progressDue(long everyMillis) {
        return false;
    }

    /** Bytes of the source read so far, for the progress line (negative when unknown). */
    default long bytesRead() {
        return -1;
    }
}
