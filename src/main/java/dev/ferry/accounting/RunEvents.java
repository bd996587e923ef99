package dev.ferry.accounting;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePattern;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.direct.DirectConsumerNotAvailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Sends every finished run, as a {@link RunFinished} body, to {@value #ENDPOINT}, where a route decides what to do
 * with it (by default {@code routes/run-events.camel.yaml} logs it).
 *
 * <p>Synchronously, on the thread that closed the run: events arrive in order and the route sees the run before the
 * pipeline moves on (an operator who wants a slow webhook off the pipeline's path adds {@code wireTap} or
 * {@code threads}). The run's outcome is final and counted before the event leaves: whatever the route does, it cannot
 * change the run. A route that throws is logged at ERROR (route id, exception; URLs cut to their host, since a webhook
 * URL often carries a token) and counted in {@code ferry_run_events_failed_total}; the event is not sent again. No route
 * consuming the endpoint (deleted by an operator, or Camel stopping) is not an error: said once until one is back.
 */
public final class RunEvents implements Consumer<RunFinished> {

    public static final String ENDPOINT = "direct:ferry-run-finished";
    public static final String HEADER_PIPELINE = "FerryPipeline";
    public static final String HEADER_STATUS = "FerryRunStatus";
    public static final String HEADER_RUN_ID = "FerryRunId";

    private static final Logger LOG = LoggerFactory.getLogger(RunEvents.class);
    /** Fail at once when nobody consumes the endpoint, instead of the direct component's 30 s wait. */
    private static final String TARGET = ENDPOINT + "?block=false";
    private static final Pattern URL_PATH = Pattern.compile("(\\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+)[^\\s,;\"')]*");

    private final CamelContext context;
    private final PipelineMetrics metrics;
    private final AtomicBoolean noConsumerSaid = new AtomicBoolean();
    private final AtomicBoolean stoppedSaid = new AtomicBoolean();
    private volatile ProducerTemplate template;

    public RunEvents(CamelContext context, PipelineMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
    }

    /** Never throws: an event is news about a run whose outcome is already decided. */
    @Override
    public void accept(RunFinished event) {
        ServiceStatus status = context.getStatus();
        if (status.isStopped() || status.isSuspended()) {
            cameLateOnce(event);
            return;
        }
        Exchange sent;
        try {
            sent = template().send(TARGET, ExchangePattern.InOnly, exchange -> {
                exchange.getMessage().setBody(event);
                exchange.getMessage().setHeader(HEADER_PIPELINE, event.getPipeline());
                exchange.getMessage().setHeader(HEADER_STATUS, event.getStatus());
                exchange.getMessage().setHeader(HEADER_RUN_ID, event.getRunId());
            });
        } catch (RuntimeException e) {
            if (context.isStopping() || context.isStopped()) {
                cameLateOnce(event);
            } else {
                failed(event, null, e);
            }
            return;
        }
        Exception e = sent.getException();
        if (e == null) {
            noConsumerSaid.set(false); // a route consumes the events (again): say it again if it goes away
            return;
        }
        if (e instanceof DirectConsumerNotAvailableException) {
            if (context.isStopping() || context.isStopped()) {
                cameLateOnce(event);
            } else if (noConsumerSaid.compareAndSet(false, true)) {
                LOG.warn("no route consumes {}: run events are not sent until one does (routes/run-events.camel.yaml"
                        + " has the default); every run still logs its run summary line. First one not sent: {}",
                        ENDPOINT, event.getSummary());
            }
            return;
        }
        failed(event, routeId(sent), e);
    }

    /** The route that failed, or else the one consuming the endpoint (without an error handler none is recorded). */
    private String routeId(Exchange sent) {
        String failed = sent.getProperty(Exchange.FAILURE_ROUTE_ID, String.class);
        if (failed != null) {
            return failed;
        }
        return context.getRoutes().stream()
                .filter(r -> r.getEndpoint().getEndpointUri().startsWith("direct://ferry-run-finished"))
                .map(Route::getRouteId).findFirst().orElse(ENDPOINT);
    }

    private void failed(RunFinished event, String routeId, Exception e) {
        metrics.add(event.getPipeline(), PipelineMetrics.Count.RUN_EVENTS_FAILED, 1);
        LOG.error("run event of {} run {} failed in route {}: {} (the run stays {}; the event is not sent again)",
                event.getPipeline(), event.getRunId(), routeId == null ? ENDPOINT : routeId, describe(e), event.getStatus());
    }

    private void cameLateOnce(RunFinished event) {
        if (stoppedSaid.compareAndSet(false, true)) {
            LOG.info("Camel is stopping: run events of runs ending now are not sent (their run summary lines say how"
                    + " they ended), first: {} run {}", event.getPipeline(), event.getRunId());
        }
    }

    /** The exception and its causes, class and message, with every URL cut to scheme and host. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 2000; t = t.getCause() == t ? null : t.getCause()) {
            if (!sb.isEmpty()) {
                sb.append("; caused by ");
            }
            sb.append(t.getClass().getName());
            if (t.getMessage() != null) {
                sb.append(": ").append(URL_PATH.matcher(t.getMessage()).replaceAll("$1/..."));
            }
        }
        return sb.toString();
    }

    private ProducerTemplate template() {
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
