package dev.ferry.accounting;

import dev.ferry.Pipeline;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Counts each redelivery against the pipeline whose route is retrying (and against the run on the exchange, when
 * there is one). The shared error handling calls it on every redelivery, so retries are visible in metrics.
 */
public final class RetryCounter implements Processor {

    public static final String RUN_PROPERTY = "ferryRun";

    private final PipelineMetrics metrics;

    public RetryCounter(PipelineMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void process(Exchange exchange) {
        RunAccount run = exchange.getProperty(RUN_PROPERTY, RunAccount.class);
        if (run != null) {
            run.retried(1);
            return;
        }
        Pipeline.ofRouteId(exchange.getFromRouteId())
                .ifPresent(p -> metrics.add(p.id(), PipelineMetrics.Count.RETRIED, 1));
    }
}
