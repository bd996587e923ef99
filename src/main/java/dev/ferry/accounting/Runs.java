package dev.ferry.accounting;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Opens and closes {@link RunAccount}s and remembers the most recent ones for the run summary. Bound in Camel's
 * registry as {@code runs}, so routes and beans share one ledger. Every closed run is handed, as a
 * {@link RunFinished}, to the run events ({@link RunEvents}: the route of {@code direct:ferry-run-finished}) after its
 * outcome, counters and summary line are final.
 */
public final class Runs {

    private static final Logger LOG = LoggerFactory.getLogger(Runs.class);
    private static final int KEEP_FINISHED = 200;

    private final PipelineMetrics metrics;
    private final Map<String, RunAccount> active = new ConcurrentHashMap<>();
    private final Deque<RunAccount> finished = new ArrayDeque<>();
    private final Consumer<RunFinished> events;

    /** A ledger whose finished runs go nowhere but the log and the metrics. */
    public Runs(PipelineMetrics metrics) {
        this(metrics, event -> { });
    }

    public Runs(PipelineMetrics metrics, Consumer<RunFinished> events) {
        this.metrics = metrics;
        this.events = events;
    }

    public RunAccount begin(String pipeline, String subject) {
        RunAccount run = new RunAccount(pipeline, UUID.randomUUID().toString(), subject, metrics);
        active.put(run.runId(), run);
        metrics.runStarted(pipeline);
        LOG.info("run started pipeline={} run={} subject={}", pipeline, run.runId(), subject);
        return run;
    }

    /**
     * Closes a run as succeeded when every record read is accounted for, as failed otherwise: an unbalanced run is
     * never reported as a success, and neither is one asked to stop ({@link RunAccount#stop}).
     */
    public RunAccount finish(RunAccount run) {
        long missing = run.unaccounted();
        if (missing != 0) {
            return close(run, RunAccount.Status.FAILED, "records unaccounted for: read=" + run.read()
                    + " but written+duplicate+filtered+dead_lettered=" + (run.read() - missing), true);
        }
        if (run.stopReason() != null) {
            return close(run, RunAccount.Status.FAILED, run.stopReason(), false);
        }
        return close(run, RunAccount.Status.SUCCEEDED, null, false);
    }

    public RunAccount fail(RunAccount run, String reason) {
        return close(run, RunAccount.Status.FAILED, reason, false);
    }

    private RunAccount close(RunAccount run, RunAccount.Status status, String reason, boolean unbalanced) {
        if (run.end(status, reason)) {
            active.remove(run.runId());
            if (unbalanced) {
                metrics.runUnbalanced(run.pipeline());
            }
            metrics.runEnded(run.pipeline(), status == RunAccount.Status.SUCCEEDED, run.elapsed().toMillis());
            synchronized (finished) {
                finished.addLast(run);
                while (finished.size() > KEEP_FINISHED) {
                    finished.removeFirst();
                }
            }
            if (status == RunAccount.Status.SUCCEEDED) {
                LOG.info("run summary {}", run.summary());
            } else {
                LOG.error("run summary {}", run.summary());
            }
            announce(run);
        }
        return run;
    }

    /** Whatever the events' route does, the run's outcome above stands and its caller goes on. */
    private void announce(RunAccount run) {
        try {
            events.accept(RunFinished.of(run));
        } catch (RuntimeException e) {
            metrics.add(run.pipeline(), PipelineMetrics.Count.RUN_EVENTS_FAILED, 1);
            LOG.error("run event of {} run {} not sent: {}", run.pipeline(), run.runId(), RunEvents.describe(e));
        }
    }

    public Collection<RunAccount> active() {
        return List.copyOf(active.values());
    }

    public List<RunAccount> finished() {
        synchronized (finished) {
            return List.copyOf(finished);
        }
    }

    public PipelineMetrics metrics() {
        return metrics;
    }
}
