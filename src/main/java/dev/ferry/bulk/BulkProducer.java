package dev.ferry.bulk;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.opensearch.IndexDoc;
import dev.ferry.records.RecordBatch;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Indexes the body. A pipeline's batch ({@link RecordBatch} of {@link IndexDoc} that is a {@link BulkOwner}) sends
 * refused documents to that pipeline's dead letters; anything else (a batch, a {@code List} of JSON strings or
 * IndexDocs, an NDJSON string) gets them in the header {@value #REFUSALS}. Counts go into the exchange's run
 * ({@code ferryRun}) when it has one, and always into the headers {@value #INDEXED} and {@value #REFUSED}. The body
 * is cleared: the batch is done and must not stay alive in a split's result.
 */
final class BulkProducer extends DefaultProducer {

    static final String INDEXED = "FerryBulkIndexed";
    static final String REFUSED = "FerryBulkRefused";
    static final String REFUSALS = "FerryBulkRefusals";

    private final BulkEndpoint endpoint;

    BulkProducer(BulkEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        List<IndexDoc> docs = documents(body);
        for (IndexDoc doc : docs) {
            if (doc.index() == null) {
                doc.setTarget(endpoint.index());
            }
        }
        Collected collected = null;
        BulkOwner owner;
        if (body instanceof BulkOwner o) {
            owner = o;
        } else {
            owner = collected = new Collected("ferry-bulk:" + endpoint.index() + " exchange " + exchange.getExchangeId());
        }
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        BulkIndexer.Result result = endpoint.indexer().index(docs, owner, run);
        message.setHeader(INDEXED, result.indexed());
        message.setHeader(REFUSED, result.refused());
        if (collected != null) {
            message.setHeader(REFUSALS, collected.refusals);
        }
        message.setBody(null);
    }

    @SuppressWarnings("unchecked")
    private List<IndexDoc> documents(Object body) {
        if (body instanceof RecordBatch<?> batch) {
            List<?> records = batch.records();
            if (!records.isEmpty() && !(records.get(0) instanceof IndexDoc)) {
                throw new IllegalArgumentException("ferry-bulk:" + endpoint.index() + " indexes documents; the batch holds "
                        + records.get(0).getClass().getName());
            }
            return (List<IndexDoc>) records;
        }
        if (body instanceof String ndjson) {
            return standalone(ndjson.lines().filter(line -> !line.isBlank()).toList());
        }
        if (body instanceof List<?> list) {
            return standalone(list);
        }
        throw new IllegalArgumentException("ferry-bulk:" + endpoint.index() + " takes a batch of documents, a List of JSON"
                + " documents or an NDJSON string; it got " + (body == null ? "an empty body" : body.getClass().getName()));
    }

    /** Documents of a standalone body: JSON strings (into the endpoint's index, ids chosen by OpenSearch) or IndexDocs. */
    private List<IndexDoc> standalone(List<?> items) {
        List<IndexDoc> docs = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            Object item = items.get(i);
            if (item instanceof IndexDoc doc) {
                docs.add(doc);
            } else if (item instanceof String json) {
                if (json.indexOf('\n') >= 0 || json.indexOf('\r') >= 0) {
                    throw new IllegalArgumentException("ferry-bulk:" + endpoint.index() + ": document " + (i + 1)
                            + " spans several lines; send each document as compact JSON on one line");
                }
                docs.add(new IndexDoc(i + 1, endpoint.index(), null, null, json));
            } else {
                throw new IllegalArgumentException("ferry-bulk:" + endpoint.index() + ": document " + (i + 1) + " is a "
                        + (item == null ? "null" : item.getClass().getName()) + ", not a JSON string or an IndexDoc");
            }
        }
        return docs;
    }

    /** Standalone: refusals are kept for the header, one map per document (number in the body, index, id, status, type, reason). */
    private static final class Collected implements BulkOwner {
        private final String source;
        private final List<Map<String, Object>> refusals = new ArrayList<>();
        private volatile String abandoned;

        Collected(String source) {
            this.source = source;
        }

        @Override
        public String source() {
            return source;
        }

        @Override
        public void refused(IndexDoc doc, int status, String errorType, String reason) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("document", doc.line());
            r.put("index", doc.index());
            r.put("id", doc.id());
            r.put("status", status);
            r.put("type", errorType);
            r.put("reason", reason);
            refusals.add(r);
        }

        @Override
        public void abandon(String reason) {
            abandoned = reason;
        }

        @Override
        public String abandoned() {
            return abandoned;
        }
    }
}
