package dev.ferry.s3;

import dev.ferry.bulk.BulkOwner;
import dev.ferry.opensearch.IndexDoc;
import dev.ferry.records.RecordBatch;

import java.util.List;

/**
 * The body of s3-to-opensearch's transform stage: one batch of an object's documents (each with its target index,
 * id, routing and {@code _source}), in line order. What a step drops is counted filtered in the object's run; what it
 * dead-letters goes to the object's dead letters (the document as read, with the reason). As the body of
 * {@code ferry-bulk:} it is the batch's {@link BulkOwner}: documents OpenSearch refuses go to the same dead letters.
 */
public final class DocumentBatch implements RecordBatch<IndexDoc>, BulkOwner {

    private final ObjectJob job;
    private final List<IndexDoc> documents;

    public DocumentBatch(ObjectJob job, List<IndexDoc> documents) {
        this.job = job;
        this.documents = documents;
    }

    @Override
    public List<IndexDoc> records() {
        return documents;
    }

    @Override
    public void filtered(IndexDoc doc) {
        job.run().filtered(1);
    }

    @Override
    public void deadLetter(IndexDoc doc, String reason) {
        job.deadLetters().rejectedByTransform(doc, reason);
        job.run().deadLettered(1);
    }

    /** The object the documents come from, as bucket/key. */
    @Override
    public String source() {
        return job.bucket() + '/' + job.key();
    }

    @Override
    public void refused(IndexDoc doc, int status, String errorType, String reason) {
        job.deadLetters().rejected(doc, status, errorType, reason);
    }

    @Override
    public void abandon(String reason) {
        job.abandon(reason);
    }

    @Override
    public String abandoned() {
        return job.abandoned();
    }

    @Override
    public boolean progressDue(long everyMillis) {
        return job.progressDue(everyMillis);
    }

    @Override
    public long bytesRead() {
        return job.lines().bytesRead();
    }

    @Override
    public String toString() {
        return "DocumentBatch[" + source() + ", " + documents.size() + " document(s)]";
    }
}
