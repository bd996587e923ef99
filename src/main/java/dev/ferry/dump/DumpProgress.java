package dev.ferry.dump;

import dev.ferry.Pipeline;
import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of the running dumps, as gauges ({@code ferry_dump_documents_snapshot}, {@code ferry_dump_documents_dumped},
 * {@code ferry_dump_documents_read}, {@code ferry_dump_docs_per_second}, {@code ferry_dump_eta_seconds}, tagged
 * {@code pipeline}) and as a log line per dump at a steady interval. "Dumped" counts documents whose part is at the destination.
 */
public final class DumpProgress {

    private static final Logger LOG = LoggerFactory.getLogger(DumpProgress.class);
    private static final String PIPELINE = Pipeline.OPENSEARCH_TO_S3.id();

    private final Map<String, Dump> running = new ConcurrentHashMap<>();
    private final Map<Dump, AtomicLong> readThisRun = new ConcurrentHashMap<>();
    private final PipelineMetrics metrics;
    private volatile boolean registered;

    public DumpProgress(PipelineMetrics metrics) {
        this.metrics = metrics;
    }

    void started(Dump dump) {
        running.put(dump.dumpId, dump);
        readThisRun.put(dump, new AtomicLong());
    }

    void read(Dump dump, long n) {
        AtomicLong c = readThisRun.get(dump);
        if (c != null) {
            c.addAndGet(n);
        }
    }

    void ended(Dump dump) {
        running.remove(dump.dumpId);
        readThisRun.remove(dump);
    }

    public double total() {
        return running.values().stream().mapToLong(d -> d.documentsAtSnapshot).sum();
    }

    public double dumped() {
        return running.values().stream().mapToLong(Dump::documentsDumped).sum();
    }

    public double readSoFar() {
        return running.values().stream().mapToLong(d -> d.resumedDocuments.get() + readThisRun.getOrDefault(d, new AtomicLong()).get()).sum();
    }

    public double docsPerSecond() {
        return running.values().stream().mapToDouble(this::rate).sum();
    }

    public double etaSeconds() {
        return running.values().stream().mapToDouble(this::eta).max().orElse(0);
    }

    private double rate(Dump d) {
        double seconds = (System.nanoTime() - d.startNanos) / 1e9;
        return seconds <= 0 ? 0 : (d.documentsDumped() - d.resumedDocuments.get()) / seconds;
    }

    private double eta(Dump d) {
        double rate = rate(d);
        long left = d.documentsAtSnapshot - d.documentsDumped();
        return left <= 0 ? 0 : rate <= 0 ? -1 : left / rate;
    }

    void log() {
        for (Dump d : running.values()) {
            double eta = eta(d);
            LOG.info("dump {} of {}: {} of {} documents dumped ({}%), {} read, {} docs/s, ETA {}", d.dumpId, d.index,
                    d.documentsDumped(), d.documentsAtSnapshot,
                    d.documentsAtSnapshot == 0 ? 100 : d.documentsDumped() * 100 / d.documentsAtSnapshot,
                    d.resumedDocuments.get() + readThisRun.getOrDefault(d, new AtomicLong()).get(),
                    Math.round(rate(d)), eta < 0 ? "unknown" : Math.round(eta) + " s");
        }
    }

    /** Registers the gauges (at zero), so dashboards see them before the first dump. */
    public void register() {
        if (registered) {
            return;
        }
        synchronized (this) {
            if (!registered) {
                MeterRegistry r = metrics.registry();
                Gauge.builder("ferry.dump.documents.snapshot", this, DumpProgress::total).tag("pipeline", PIPELINE)
                        .description("Documents in the snapshots of the running dumps").register(r);
                Gauge.builder("ferry.dump.documents.dumped", this, DumpProgress::dumped).tag("pipeline", PIPELINE)
                        .description("Documents of the running dumps whose parts are at the destination").register(r);
                Gauge.builder("ferry.dump.documents.read", this, DumpProgress::readSoFar).tag("pipeline", PIPELINE)
                        .description("Documents of the running dumps read from OpenSearch").register(r);
                Gauge.builder("ferry.dump.docs_per_second", this, DumpProgress::docsPerSecond).tag("pipeline", PIPELINE)
                        .description("Documents per second dumped, running dumps").register(r);
                Gauge.builder("ferry.dump.eta_seconds", this, DumpProgress::etaSeconds).tag("pipeline", PIPELINE)
                        .description("Estimated seconds until the running dumps are complete (-1: unknown)").register(r);
                registered = true;
            }
        }
    }
}
