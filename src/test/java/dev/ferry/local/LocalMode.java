package dev.ferry.local;

import dev.ferry.Ferry;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.config.FerryConfig;
import dev.ferry.embedded.ChildProcess;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FreePorts;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.embedded.SqsServer;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;

/**
 * Local mode: starts embedded S3, OpenSearch, database and report server on loopback, seeds them with sample data,
 * runs every pipeline that has a demo with Ferry's own routes/ and application.properties (profile {@code local}),
 * shows progress, prints a per-pipeline summary, and keeps everything up for a look around until Ctrl-C.
 * Run it with {@code ./mvnw -Plocal}; {@code -Dferry.local.exit-when-done=true} exits after the summary;
 * {@code -Dferry.local.replicas=3} runs three Ferry instances sharing the work (see {@link #LocalMode(PrintStream,
 * Duration, int)}).
 */
public final class LocalMode {

    private static final Duration PROGRESS_EVERY = Duration.ofSeconds(2);

    private final PrintStream out;
    private final Duration timeout;
    private final int replicas;

    public LocalMode(PrintStream out, Duration timeout) {
        this(out, timeout, 1);
    }

    /**
     * With more than one replica, the Ferry instances elect each pipeline's leader through a lock directory, and
     * s3-to-opensearch is fed by an SQS queue (embedded ElasticMQ) that every replica consumes; the leader's listing
     * fills it, since the embedded S3 sends no event notifications.
     */
    public LocalMode(PrintStream out, Duration timeout, int replicas) {
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be at least 1, not " + replicas);
        }
        this.out = out;
        this.timeout = timeout;
        this.replicas = replicas;
    }

    public static void main(String[] args) throws Exception {
        boolean exitWhenDone = Boolean.getBoolean("ferry.local.exit-when-done");
        Duration timeout = Duration.ofSeconds(Long.getLong("ferry.local.timeout-seconds", 900));
        LocalMode local = new LocalMode(System.out, timeout, Integer.getInteger("ferry.local.replicas", 1));
        Outcome outcome;
        try (Session session = local.start()) {
            outcome = local.awaitAndSummarize(session);
            if (!exitWhenDone) {
                local.out.println("\nFerry and the embedded services stay up for a look around. Press Ctrl-C to stop.");
                CountDownLatch forever = new CountDownLatch(1);
                // One hook, in order: Ferry stops polling first, then the services it polls go.
                session.services().closeOnlyWhenAsked();
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    local.out.println("Stopping Ferry, then the embedded services...");
                    session.close();
                    session.services().close();
                    ChildProcess.closeAll();
                    forever.countDown();
                }, "ferry-local-stop"));
                forever.await();
            }
        }
        System.exit(outcome.ok() ? 0 : 1);
    }

    /** A running local setup: the services, Ferry, and the demos that were seeded. */
    public record Session(EmbeddedServices services, List<Ferry> replicas, List<PipelineDemo> demos,
                          List<Integer> managementPorts) implements AutoCloseable {
        /** The first replica (the only one unless replicas were asked for). */
        public Ferry ferry() {
            return replicas.get(0);
        }

        public int managementPort() {
            return managementPorts.get(0);
        }

        /** The first replica's ledger (Prometheus scrapes that replica). */
        public Runs runs() {
            return runs(ferry());
        }

        /** The finished runs of every replica. */
        public List<RunAccount> finishedRuns() {
            return replicas.stream().flatMap(f -> runs(f).finished().stream()).toList();
        }

        public List<RunAccount> activeRuns() {
            return replicas.stream().flatMap(f -> runs(f).active().stream()).toList();
        }

        private static Runs runs(Ferry ferry) {
            return ferry.camelContext().getRegistry().lookupByNameAndType("runs", Runs.class);
        }

        @Override
        public void close() {
            for (int i = replicas.size() - 1; i >= 0; i--) {
                replicas.get(i).close();
            }
        }
    }

    /** What the demos' runs came to: one summary row per pipeline. */
    public record Outcome(boolean ok, Map<String, PipelineTotals> perPipeline) {
    }

    public Session start() throws Exception {
        long t0 = System.nanoTime();
        List<PipelineDemo> demos = new ArrayList<>();
        ServiceLoader.load(PipelineDemo.class).forEach(demos::add);
        out.println("Ferry local mode: " + (demos.isEmpty() ? "no pipeline demo found"
                : demos.size() + " pipeline(s): " + demos.stream().map(PipelineDemo::pipeline).toList()));

        EmbeddedServices services = EmbeddedServices.shared();
        Map<String, String> overrides = new HashMap<>(baseOverrides(services));
        for (PipelineDemo demo : demos) {
            out.println("seeding " + demo.pipeline() + " ...");
            overrides.putAll(demo.seed(services));
        }
        if (replicas > 1) {
            overrides.putAll(replicaSettings(services, overrides));
        }
        int managementPort = portOr9876();
        Path project = Path.of("").toAbsolutePath();
        startPrometheus(project, managementPort);
        List<Ferry> started = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        FerryConfig config = null;
        for (int i = 0; i < replicas; i++) {
            int port = i == 0 ? managementPort : FreePorts.next();
            overrides.put("ferry.management.port", String.valueOf(port));
            FerryConfig replicaConfig = FerryConfig.load(project.resolve("application.properties"), "local",
                    System.getenv(), overrides);
            config = config == null ? replicaConfig : config;
            started.add(Ferry.create(replicaConfig).start());
            ports.add(port);
        }
        out.printf("started in %.1f s%n%n", (System.nanoTime() - t0) / 1e9);
        out.println("Services:");
        services.describe().forEach((name, url) -> out.println("  " + name + ": " + url));
        out.println("Credentials (local and throwaway):");
        credentials(config).forEach(line -> out.println("  " + line));
        for (int i = 0; i < replicas; i++) {
            out.println(replicas == 1 ? "Ferry:" : "Ferry replica " + (i + 1) + ":");
            for (String path : List.of("health", "metrics", "info")) {
                out.println("  http://127.0.0.1:" + ports.get(i) + "/observe/" + path);
            }
        }
        out.println();
        return new Session(services, List.copyOf(started), demos, List.copyOf(ports));
    }

    /**
     * Several replicas: one leader per pipeline through a lock directory; s3-to-opensearch through the embedded SQS
     * queue, filled by its leader's listing.
     */
    private Map<String, String> replicaSettings(EmbeddedServices services, Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>();
        o.put("ferry.cluster.service", "file");
        o.put("ferry.cluster.file.root", Path.of("target/local-data/cluster").toAbsolutePath().toString());
        o.put("ferry.cluster.file.interval-ms", "1000");
        if ("true".equals(overrides.get("ferry.s3-to-opensearch.enabled"))) {
            SqsServer sqs = services.sqs();
            o.putAll(sqs.ferrySettings());
            o.put("ferry.s3-to-opensearch.listing", "true");
            o.put("ferry.s3-to-opensearch.queue-enabled", "true");
            o.put("ferry.s3-to-opensearch.queue-url", sqs.createQueue("ferry-demo-inbox-events", 60, 5));
            o.put("ferry.s3-to-opensearch.queue-wait-seconds", "2"); // Ctrl-C stops the replicas quickly
        }
        if ("true".equals(overrides.get("ferry.opensearch-to-s3.enabled"))) {
            SqsServer sqs = services.sqs();
            o.putAll(sqs.ferrySettings());
            o.put("ferry.opensearch-to-s3.slice-queue-enabled", "true");
            o.put("ferry.opensearch-to-s3.slice-queue-url", sqs.createQueue("ferry-demo-dump-slices", 60, 5));
            o.put("ferry.opensearch-to-s3.slice-queue-wait-seconds", "2"); // Ctrl-C stops the replicas quickly
        }
        out.println(replicas + " replicas: one leader per pipeline (lock files in target/local-data/cluster)"
                + (o.containsKey("ferry.s3-to-opensearch.queue-url") ? "; s3-to-opensearch through the SQS queue "
                + o.get("ferry.s3-to-opensearch.queue-url") + ", filled by its leader's listing" : "")
                + (o.containsKey("ferry.opensearch-to-s3.slice-queue-url") ? "; opensearch-to-s3's slices through the"
                + " slice queue " + o.get("ferry.opensearch-to-s3.slice-queue-url") : ""));
        return o;
    }

    /**
     * A real Prometheus scraping this Ferry with the alert rules of observability/, when one is installed. Started
     * before Ferry, so it sees the demo's counters from zero; it ends with the JVM, or with the next local start.
     * Without one, or if it does not start, local mode says so and carries on.
     */
    private void startPrometheus(Path project, int managementPort) {
        if (LocalPrometheus.binary().isEmpty()) {
            out.println("Prometheus: not installed, so not started. With a prometheus binary on the PATH (Debian/Ubuntu:"
                    + " apt-get install prometheus) local mode also runs one, scraping Ferry, with Ferry's alert rules.");
            return;
        }
        try {
            LocalPrometheus prometheus = LocalPrometheus.start(project, managementPort, Duration.ofSeconds(1));
            out.println("Prometheus (scraping Ferry, alert rules from " + LocalPrometheus.RULES + "): "
                    + prometheus.url() + "/graph   alerts: " + prometheus.url() + "/alerts");
        } catch (RuntimeException e) {
            out.println("Prometheus: did not start, carrying on without it: " + e.getMessage());
        }
    }

    /** What the service URLs above ask for: S3Proxy refuses anonymous requests, the report server wants a login. */
    static List<String> credentials(FerryConfig config) {
        List<String> lines = new ArrayList<>();
        if (config.get("ferry.s3.endpoint") != null && !config.get("ferry.s3.endpoint").isEmpty()) {
            lines.add("S3: access key " + config.get("ferry.s3.access-key") + ", secret key "
                    + config.get("ferry.s3.secret-key") + ", region " + config.get("ferry.s3.region")
                    + ", path-style (aws --endpoint-url " + config.get("ferry.s3.endpoint") + ")");
        }
        String reportUser = config.get("ferry.report-to-sql.user");
        if ("true".equals(config.get("ferry.report-to-sql.enabled")) && reportUser != null && !reportUser.isEmpty()) {
            String domain = config.get("ferry.report-to-sql.domain");
            lines.add("report server (" + config.get("ferry.report-to-sql.auth-method") + "): user "
                    + (domain == null || domain.isEmpty() ? "" : domain + "\\") + reportUser + ", password "
                    + config.get("ferry.report-to-sql.password"));
        }
        lines.add("database: " + config.get("ferry.db.url") + ", user " + config.get("ferry.db.user") + ", password '"
                + config.get("ferry.db.password") + "'");
        return lines;
    }

    public Outcome awaitAndSummarize(Session session) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!allFinished(session)) {
            if (System.nanoTime() > deadline) {
                out.println("timed out after " + timeout.toSeconds() + " s waiting for the pipelines to finish");
                break;
            }
            for (RunAccount run : session.activeRuns()) {
                out.printf("  ... %s %s: read %,d written %,d duplicate %,d dead-lettered %,d (%.0f s)%n", run.pipeline(),
                        run.subject(), run.read(), run.written(), run.duplicate(), run.deadLettered(),
                        run.elapsed().toMillis() / 1000.0);
            }
            Thread.sleep(PROGRESS_EVERY.toMillis());
        }
        return summarize(session);
    }

    /** Every demo done, judged once from every replica's finished runs. */
    private static boolean allFinished(Session session) {
        List<RunAccount> finished = session.finishedRuns();
        return session.demos().stream().allMatch(d -> d.finished(finished));
    }

    Outcome summarize(Session session) {
        List<RunAccount> all = session.finishedRuns();
        boolean finished = session.demos().stream().allMatch(d -> d.finished(all));
        Map<String, PipelineTotals> rows = new LinkedHashMap<>();
        boolean ok = finished;
        for (PipelineDemo demo : session.demos()) {
            PipelineTotals totals = PipelineTotals.of(demo.pipeline(), all);
            ok &= totals.failedRuns() == 0 && totals.balanced();
            rows.put(demo.pipeline(), totals);
        }
        out.println();
        out.println("Summary");
        out.printf("  %-18s %5s %12s %12s %10s %10s %14s %7s %8s%n", "pipeline", "runs", "records in", "written",
                "duplicate", "filtered", "dead-lettered", "failed", "seconds");
        rows.forEach((pipeline, t) -> out.printf("  %-18s %5d %,12d %,12d %,10d %,10d %,14d %7d %8.1f%n", pipeline,
                t.runs(), t.read(), t.written(), t.duplicate(), t.filtered(), t.deadLettered(), t.failedRuns(),
                t.millis() / 1000.0));
        out.println(ok ? "  every record accounted for (in = written + duplicate + filtered + dead-lettered)"
                : "  NOT OK: a run failed, did not finish, or did not account for every record (see the log above)");
        return new Outcome(ok, rows);
    }

    /** One pipeline's finished runs added up: one row of the summary. */
    public record PipelineTotals(long runs, long read, long written, long duplicate, long filtered, long deadLettered,
                                 long failedRuns, long millis) {

        static PipelineTotals of(String pipeline, List<RunAccount> finished) {
            long runs = 0, read = 0, written = 0, duplicate = 0, filtered = 0, deadLettered = 0, failed = 0, millis = 0;
            for (RunAccount run : finished) {
                if (run.pipeline().equals(pipeline)) {
                    runs++;
                    read += run.read();
                    written += run.written();
                    duplicate += run.duplicate();
                    filtered += run.filtered();
                    deadLettered += run.deadLettered();
                    failed += run.status() == RunAccount.Status.FAILED ? 1 : 0;
                    millis += run.elapsed().toMillis();
                }
            }
            return new PipelineTotals(runs, read, written, duplicate, filtered, deadLettered, failed, millis);
        }

        /** Every record read ended written, duplicate, filtered or dead-lettered. */
        boolean balanced() {
            return read == written + duplicate + filtered + deadLettered;
        }
    }

    private static Map<String, String> baseOverrides(EmbeddedServices services) throws java.io.IOException {
        Map<String, String> o = new HashMap<>();
        // Local mode's own database: an H2 file under target/, in SQL Server mode like production's target. Every
        // start is a fresh demo (like the embedded S3 and OpenSearch), so watermarks from a previous start go too.
        Path dataDir = Path.of("target/local-data").toAbsolutePath();
        if (java.nio.file.Files.isDirectory(dataDir)) {
            try (var files = java.nio.file.Files.walk(dataDir)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
        }
        o.put("ferry.db.url", "jdbc:h2:file:" + dataDir.resolve("ferry")
                + ";MODE=MSSQLServer;DATABASE_TO_UPPER=FALSE");
        o.put("ferry.db.user", "sa");
        o.put("ferry.db.password", "");
        // S3 and OpenSearch endpoints are added only when a demo started them (services start on first use).
        o.put("ferry.s3.path-style", "true");
        return o;
    }

    /** Settings that point Ferry at the embedded S3 (for demos that use it). */
    public static Map<String, String> s3Settings(S3ProxyServer s3) {
        return Map.of("ferry.s3.endpoint", s3.endpoint().toString(), "ferry.s3.access-key", s3.accessKey(),
                "ferry.s3.secret-key", s3.secretKey(), "ferry.s3.region", s3.region(), "ferry.s3.path-style", "true");
    }

    /** FERRY_MANAGEMENT_PORT when set; else 9876, or a free port when 9876 is taken. */
    private static int portOr9876() throws Exception {
        String chosen = System.getenv("FERRY_MANAGEMENT_PORT");
        if (chosen != null && !chosen.isBlank()) {
            return Integer.parseInt(chosen.trim());
        }
        try (ServerSocket socket = new ServerSocket(9876, 1, InetAddress.getLoopbackAddress())) {
            return 9876;
        } catch (java.io.IOException busy) {
            return FreePorts.next();
        }
    }
}
