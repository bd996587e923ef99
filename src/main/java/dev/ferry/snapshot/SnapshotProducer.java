package dev.ferry.snapshot;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the point in time, counts it, plans the read (sort and slices) and sets the body to the {@link Snapshot}.
 * Nothing is read yet: the route's splits pull the pages. When opening, counting or planning fails (OpenSearch
 * unreachable, the index missing, a shard failing) the exchange fails; a point in time already opened is released.
 */
final class SnapshotProducer extends DefaultProducer {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotProducer.class);

    @Metadata(description = "Documents the point in time holds for the query: what the slices will read in all", javaType = "long")
    static final String COUNT = "FerrySnapshotCount";
    @Metadata(description = "Slices the snapshot is read in (the sort may have chosen another number than asked)", javaType = "int")
    static final String SLICES = "FerrySnapshotSlices";
    @Metadata(description = "The search_after order chosen (_shard_doc, _doc, _id or a field)", javaType = "String")
    static final String SORT = "FerrySnapshotSort";
    @Metadata(description = "The point in time's id (released when every slice has ended; after a failure it lives until its keep-alive)", javaType = "String")
    static final String PIT_ID = "FerrySnapshotPitId";

    private final SnapshotEndpoint endpoint;

    SnapshotProducer(SnapshotEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    public void process(Exchange exchange) {
        SnapshotReader reader = endpoint.reader();
        String index = endpoint.index();
        if (!reader.supportsPointInTime()) {
            throw new IllegalStateException("ferry-snapshot:" + index + ": OpenSearch " + reader.version()
                    + " has no point in time (2.4+ needed)");
        }
        String keepAlive = endpoint.getKeepAlive();
        String query = endpoint.getQuery() == null || endpoint.getQuery().isBlank() ? null : endpoint.getQuery();
        String pit = reader.openPit(index, keepAlive);
        Snapshot snapshot;
        try {
            long count = reader.count(pit, keepAlive, query);
            ReadPlan plan = ReadPlan.choose(reader, index, pit, keepAlive, endpoint.getSort(), endpoint.getSlices());
            RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
            snapshot = new Snapshot(reader, index, pit, keepAlive, query, count, plan, endpoint.getPageSize(),
                    endpoint.isKeepIndex(), endpoint.backoff(endpoint.getMaxPageRetries()), run, endpoint::deadLetter);
            LOG.info("ferry-snapshot:{}: {} documents in the point in time, {} slice(s), sort {} ({})", index, count,
                    plan.slices(), plan.sort(), plan.why());
        } catch (RuntimeException e) {
            try {
                reader.closePit(pit);
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
        Message message = exchange.getMessage();
        message.setHeader(COUNT, snapshot.count());
        message.setHeader(SLICES, snapshot.plan().slices());
        message.setHeader(SORT, snapshot.plan().sort());
        message.setHeader(PIT_ID, pit);
        message.setBody(snapshot);
    }
}
