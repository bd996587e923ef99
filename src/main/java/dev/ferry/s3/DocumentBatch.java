package dev.ferry.s3;

import dev.ferry.opensearch.IndexDoc;
import dev.ferry.records.RecordBatch;

import java.util.List;

/**
 * The body of s3-to-opensearch's transform stage: one batch of an object's documents (each with its target index,
 * id, routing and {@code _source}), in line order. What a step drops is counted filtered in the object's run; what it
 * dead-letters goes to the object's dead letters (the document as read, with the reason).
 */
public final class DocumentBatch implements RecordBatch<IndexDoc> {

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
    public String source() {
        return job.bucket() + '/' + job.key();
    }

    @Override
    public String toString() {
        return "DocumentBatch[" + source() + ", " + documents.size() + " document(s)]";
    }
}
