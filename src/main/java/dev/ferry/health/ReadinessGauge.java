package dev.ferry.health;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code ferry_ready}: 1 when every readiness check of /observe/health is UP (Camel's own and Ferry's reachability
 * checks of S3, OpenSearch, the database), 0 otherwise. Evaluated when scraped, at most once per {@link #MAX_AGE_MS}
 * (several Prometheus servers share one evaluation), on its own thread: a scrape waits at most {@link #WAIT_MS} for
 * it, so a dependency that hangs (a database pool waiting out its connection timeout) cannot make the scrape itself
 * time out and show the replica as down; that scrape reports the last result (NaN before the first), the next one
 * the new.
 */
public final class ReadinessGauge {

    static final long MAX_AGE_MS = 5_000;
    static final long WAIT_MS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(ReadinessGauge.class);

    private final CamelContext context;
    private final ExecutorService executor;
    private volatile double ready = Double.NaN; // unknown until the first evaluation ends: neither ready nor not
    private volatile long evaluatedAtNanos;
    private CompletableFuture<Void> inFlight; // guarded by this

    private ReadinessGauge(CamelContext context) {
        this.context = context;
        this.executor = context.getExecutorServiceManager().newSingleThreadExecutor(this, "ferry-readiness");
        this.evaluatedAtNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(MAX_AGE_MS + 1);
    }

    public static void register(CamelContext context, MeterRegistry registry) {
        ReadinessGauge gauge = new ReadinessGauge(context);
        Gauge.builder("ferry.ready", gauge, ReadinessGauge::read)
                .description("1 when every readiness check (GET /observe/health) is UP, 0 otherwise")
                .strongReference(true) // nothing else holds the gauge's state
                .register(registry);
    }

    double read() {
        CompletableFuture<Void> evaluation;
        synchronized (this) {
            if (inFlight == null && System.nanoTime() - evaluatedAtNanos > TimeUnit.MILLISECONDS.toNanos(MAX_AGE_MS)) {
                try {
                    inFlight = CompletableFuture.runAsync(this::evaluate, executor);
                } catch (RejectedExecutionException e) {
                    return 0; // shutting down: not ready
                }
            }
            evaluation = inFlight;
        }
        if (evaluation != null) {
            try {
                evaluation.get(WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.debug("readiness checks still running after {} ms; ferry_ready shows the last result", WAIT_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debug("readiness evaluation failed", e);
            }
        }
        return ready;
    }

    /** Says once, when readiness changes, which checks are down and why (their messages name hosts, never secrets). */
    private void logChange(double now, Collection<HealthCheck.Result> results) {
        double before = ready;
        if (now == 0 && before != 0) {
            StringBuilder down = new StringBuilder();
            for (HealthCheck.Result r : results) {
                if (r.getState() == HealthCheck.State.DOWN) {
                    down.append(down.isEmpty() ? "" : "; ").append(r.getCheck().getId())
                            .append(r.getMessage().map(m -> ": " + m).orElse(""))
                            .append(r.getError().map(e -> " (" + e.getClass().getSimpleName() + ")").orElse(""));
                }
            }
            LOG.warn("not ready: {}", down);
        } else if (now == 1 && before == 0) {
            LOG.info("ready again: every readiness check is UP");
        }
    }

    private void evaluate() {
        double result = 0;
        try {
            Collection<HealthCheck.Result> results = HealthCheckHelper.invokeReadiness(context);
            result = HealthCheckHelper.isResultsUp(results, true) ? 1 : 0;
            logChange(result, results);
        } catch (RuntimeException e) {
            LOG.debug("readiness checks failed", e);
        } finally {
            ready = result;
            synchronized (this) {
                evaluatedAtNanos = System.nanoTime();
                inFlight = null;
            }
        }
    }
}
