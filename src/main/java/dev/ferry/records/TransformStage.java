package dev.ferry.records;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;

/**
 * Calls a pipeline's transform route with the batch, and holds it to the accounting whatever the route does. A
 * {@code stop} step there would end the whole exchange: the batch's records neither written nor counted, and the
 * object or window never finished. Here it fails the batch instead, with what happened, so the run fails loudly.
 * Bound as {@code transformStage}.
 */
public final class TransformStage {

    private volatile ProducerTemplate template;

    public void apply(Exchange exchange, String uri) {
        template(exchange.getContext()).send(uri, exchange);
        Exception failure = exchange.getException();
        if (failure != null) {
            exchange.setException(null);
            throw failure instanceof RuntimeException r ? r : new RuntimeCamelException(failure);
        }
        if (exchange.isRouteStop()) {
            exchange.setRouteStop(false);
            throw new IllegalStateException("the transform route (" + uri + ") stopped the batch: its records were"
                    + " neither written nor counted (to drop records, use ferry-records:drop: they are counted filtered)");
        }
    }

    private ProducerTemplate template(CamelContext context) {
        ProducerTemplate t = template;
        if (t == null) {
            synchronized (this) {
                if (template == null) {
                    template = context.createProducerTemplate();
                }
                t = template;
            }
        }
        return t;
    }
}
