package dev.ferry.accounting;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Ferry's per-pipeline counters, scraped at {@code /observe/metrics}. Records: {@code ferry_records_read_total},
 * {@code ferry_records_written_total}, {@code ferry_records_duplicate_total}, {@code ferry_records_filtered_total}, {@code ferry_records_dead_lettered_total},
 * {@code ferry_records_retried_total}; {@code ferry_throttled_total} (answers asking Ferry to slow down); damaged sources: {@code ferry_objects_unreadable_total} and
 * {@code ferry_unread_bytes_total} (not records: nobody knows how many lines the unread bytes held); runs:
 * {@code ferry_runs_succeeded_total}, {@code ferry_runs_failed_total}, {@code ferry_runs_unbalanced_total} (failed
 * because records were unaccounted for), {@code ferry_run_events_failed_total} (the run-finished event's route threw); gauges {@code ferry_runs_in_progress}, {@code ferry_last_run_seconds} and
 * {@code ferry_last_success_timestamp_seconds}. Each is tagged {@code pipeline}.
 */
public final class PipelineMetrics {

    public enum Count {
        READ("ferry.records.read", "Records read from the source"),
        WRITTEN("ferry.records.written", "Records written to the target"),
        DUPLICATE("ferry.records.duplicate", "Records skipped as duplicates of records already written"),
        FILTERED("ferry.records.filtered", "Records dropped on purpose by a route's transform (a drop condition)"),
        DEAD_LETTERED("ferry.records.dead_lettered", "Records sent to a dead letter (rejects table or bucket) with a reason"),
        RETRIED("ferry.records.retried", "Records (or requests) retried after a transient failure"),
        UNREADABLE("ferry.objects.unreadable",
                "Sources (S3 objects) damaged past some point: read up to it, kept whole as a dead letter"),
        UNREAD_BYTES("ferry.unread_bytes", "Stored bytes of unreadable sources left unread after the damage"),
        RUNS_SUCCEEDED("ferry.runs.succeeded", "Runs that ended with every record accounted for"),
        RUNS_FAILED("ferry.runs.failed", "Runs that failed loudly"),
        THROTTLED("ferry.throttled",
                "Answers in which a server asked Ferry to slow down: HTTP 429, OpenSearch bulk items refused with 429 or rejected execution"),
        RUN_EVENTS_FAILED("ferry.run_events.failed",
                "Run-finished events whose route (direct:ferry-run-finished) failed: the run's outcome stands, the event is not sent again");

        final String meterName;
        final String help;

        Count(String meterName, String help) {
            this.meterName = meterName;
            this.help = help;
        }
    }

    private static final String IN_PROGRESS = "ferry.runs.in_progress";
    private static final String IN_PROGRESS_HELP = "Runs of this pipeline under way";
    private static final String LAST_RUN = "ferry.last_run_seconds";
    private static final String LAST_RUN_HELP = "Duration of the last finished run";
    private static final String LAST_SUCCESS = "ferry.last_success_timestamp_seconds";
    private static final String LAST_SUCCESS_HELP = "End of the last successful run (Unix seconds); 0 until the first since start";

    private final Supplier<MeterRegistry> registrySource;
    private volatile MeterRegistry registry;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> inProgress = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastRunMillis = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastSuccessEpochMillis = new ConcurrentHashMap<>();
    private static final String UNBALANCED = "ferry.runs.unbalanced";
    private static final String UNBALANCED_HELP = "Runs failed because records read were not all written, duplicate or dead-lettered";
    private final Map<String, Counter> unbalanced = new ConcurrentHashMap<>();

    /**
     * @param registrySource finds the registry scraped at /observe/metrics; asked at first use, because Camel binds
     *                       it after beans are configured. When it finds none, counters are kept in memory only.
     */
    public PipelineMetrics(Supplier<MeterRegistry> registrySource) {
        this.registrySource = registrySource;
    }

    /** Registers every counter of a pipeline at zero, so dashboards and alerts see it before its first run. */
    public void register(String pipeline) {
        for (Count c : Count.values()) {
            counter(pipeline, c);
        }
        gauge(inProgress, IN_PROGRESS, IN_PROGRESS_HELP, pipeline);
        gauge(lastRunMillis, LAST_RUN, LAST_RUN_HELP, pipeline);
        gauge(lastSuccessEpochMillis, LAST_SUCCESS, LAST_SUCCESS_HELP, pipeline);
        unbalancedCounter(pipeline);
    }

    public void add(String pipeline, Count count, long amount) {
        if (amount > 0) {
            counter(pipeline, count).increment(amount);
        }
    }

    public double value(String pipeline, Count count) {
        return counter(pipeline, count).count();
    }

    void runStarted(String pipeline) {
        gauge(inProgress, IN_PROGRESS, IN_PROGRESS_HELP, pipeline).incrementAndGet();
    }

    void runEnded(String pipeline, boolean succeeded, long millis) {
        gauge(inProgress, IN_PROGRESS, IN_PROGRESS_HELP, pipeline).decrementAndGet();
        gauge(lastRunMillis, LAST_RUN, LAST_RUN_HELP, pipeline).set(millis);
        if (succeeded) {
            // what the "no successful run in N periods" alert measures the silence from
            gauge(lastSuccessEpochMillis, LAST_SUCCESS, LAST_SUCCESS_HELP, pipeline).set(System.currentTimeMillis());
        }
        add(pipeline, succeeded ? Count.RUNS_SUCCEEDED : Count.RUNS_FAILED, 1);
    }

    /** A run failed because read != written + duplicate + dead-lettered: a bug, alerted on by FerryRunUnbalanced. */
    void runUnbalanced(String pipeline) {
        unbalancedCounter(pipeline).increment();
    }

    public double unbalancedRuns(String pipeline) {
        return unbalancedCounter(pipeline).count();
    }

    private Counter unbalancedCounter(String pipeline) {
        return unbalanced.computeIfAbsent(pipeline, p -> Counter.builder(UNBALANCED).description(UNBALANCED_HELP)
                .tag("pipeline", p).register(registry()));
    }

    public MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            synchronized (this) {
                if (registry == null) {
                    MeterRegistry found = registrySource.get();
                    registry = found == null ? new SimpleMeterRegistry() : found;
                }
                r = registry;
            }
        }
        return r;
    }

    private Counter counter(String pipeline, Count count) {
        return counters.computeIfAbsent(pipeline + '|' + count.name(), k -> Counter.builder(count.meterName)
                .description(count.help).tag("pipeline", pipeline).register(registry()));
    }

    private AtomicLong gauge(Map<String, AtomicLong> holders, String name, String help, String pipeline) {
        return holders.computeIfAbsent(pipeline, p -> {
            AtomicLong holder = new AtomicLong();
            boolean seconds = name.endsWith("seconds");
            io.micrometer.core.instrument.Gauge.builder(name, holder, h -> seconds ? h.get() / 1000.0 : h.get())
                    .description(help).tag("pipeline", p).register(registry());
            return holder;
        });
    }
}
