package dev.ferry.sqlload;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;

import java.util.List;

/**
 * Writes the batch in the body (one transaction) and sets the counts headers. With the pipeline's run on the
 * exchange (property {@code ferryRun}) the counts go into its ledger and rows carry its id; without one, the run id
 * is the exchange's id and the headers are the only account.
 */
final class SqlLoadProducer extends DefaultProducer {

    private final SqlLoadEndpoint endpoint;

    SqlLoadProducer(SqlLoadEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Message message = exchange.getMessage();
        Object body = message.getBody();
        LoadBatch batch;
        if (body instanceof LoadBatch loadBatch) {
            batch = loadBatch;
        } else if (body instanceof List<?> list && endpoint.listOfMaps() != null) {
            batch = endpoint.listOfMaps().convert(list);
        } else if (body instanceof List<?>) {
            throw new IllegalArgumentException("ferry-sql-load:" + endpoint.table() + " takes a list of maps only with"
                    + " columns=<table_column:type;...> (the table's columns and types)");
        } else {
            throw new IllegalArgumentException("ferry-sql-load:" + endpoint.table() + " takes a batch of rows (report-to-sql's"
                    + " LoadBatch) or a List<Map<String, Object>>, not " + (body == null ? "an empty body" : body.getClass().getName()));
        }
        endpoint.checkTableOnce();
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        BatchWriter writer = endpoint.writer(batch.columns());
        BatchWriter.Outcome outcome;
        if (run != null) {
            outcome = writer.write(batch, run);
        } else {
            String runId = java.util.UUID.randomUUID().toString(); // run_id is CHAR(36)
            outcome = writer.write(batch, runId);
            message.setHeader(SqlLoadEndpoint.Headers.RUN_ID, runId);
        }
        message.setHeader(SqlLoadEndpoint.Headers.WRITTEN, outcome.inserted());
        message.setHeader(SqlLoadEndpoint.Headers.DUPLICATE, outcome.duplicate());
        message.setHeader(SqlLoadEndpoint.Headers.REJECTED, outcome.rejected());
    }
}
