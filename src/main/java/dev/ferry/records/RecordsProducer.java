package dev.ferry.records;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.support.DefaultExchange;
import org.apache.camel.support.DefaultProducer;

import java.util.List;

/**
 * Applies one operation to every record of the batch in the body, in one pass: records dropped are counted filtered,
 * records dead-lettered go to the pipeline's dead letters with their reason; the rest stay, in order.
 */
final class RecordsProducer extends DefaultProducer {

    private final RecordsEndpoint endpoint;

    RecordsProducer(RecordsEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public void process(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        if (!(body instanceof RecordBatch)) {
            throw new IllegalArgumentException("ferry-records:" + endpoint.operationName() + " works on a batch of records"
                    + " (the body in a pipeline's transform route), not on " + (body == null ? "an empty body" : body.getClass().getName()));
        }
        RecordBatch batch = (RecordBatch) body;
        List<Record> records = batch.records();
        Operation operation = endpoint.operation();
        Predicate condition = endpoint.condition();
        // one scratch exchange per batch, with copies of the batch's headers and properties (${exchangeProperty.x} works;
        // the field references a condition binds as properties stay on the scratch, off the batch's exchange)
        Exchange scratch = new DefaultExchange(exchange.getContext());
        scratch.getProperties().putAll(exchange.getProperties());
        scratch.getMessage().getHeaders().putAll(exchange.getMessage().getHeaders());
        scratch.setProperty(Value.BATCH_TIME, java.time.format.DateTimeFormatter.ISO_INSTANT.format(
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
        int kept = 0;
        int n = records.size();
        for (int i = 0; i < n; i++) {
            Record record = records.get(i);
            Outcome outcome;
            try {
                scratch.getMessage().setBody(record.view());
                outcome = condition != null && !condition.matches(scratch) ? Outcome.KEEP : operation.apply(record, scratch);
            } catch (UnsupportedOperationException e) {
                throw new IllegalArgumentException("ferry-records:" + endpoint.operationName() + " cannot be used here: "
                        + e.getMessage(), e); // a mistake in the route, not in the record: the run fails
            } catch (RuntimeException e) {
                // a value this record cannot take (a field that is not an object, a bad number): the record's problem
                outcome = Outcome.deadLetter("ferry-records:" + endpoint.operationName() + " failed: " + e.getMessage());
            }
            switch (outcome.kind()) {
                case KEEP -> records.set(kept++, record);
                case DROP -> batch.filtered(record);
                case DEAD_LETTER -> batch.deadLetter(record, outcome.reason());
            }
        }
        if (kept < n) {
            records.subList(kept, n).clear();
        }
    }
}
