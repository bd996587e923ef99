package dev.ferry.embedded;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The one entry point to the real services tests, benchmarks and local mode run against. Each service
 * starts on first use (thread-safe, once per JVM), binds 127.0.0.1 on a free port, and is stopped by
 * {@link #close()} or, at the latest, by a JVM shutdown hook. Child processes also stop on their own
 * if this JVM dies (see {@link ParentWatchdog}).
 *
 * <pre>
 * EmbeddedServices services = EmbeddedServices.shared();
 * S3ProxyServer s3 = services.s3();
 * OpenSearchNode search = services.openSearch();            // the default line, 2.x
 * OpenSearchNode search3 = services.openSearch(OpenSearchLine.V3);
 * PostgresServer pg = services.postgres();
 * SqsServer sqs = services.sqs();
 * </pre>
 */
public final class EmbeddedServices implements AutoCloseable {

    /** The OpenSearch line {@link #openSearch()} returns. */
    public static final OpenSearchLine DEFAULT_OPENSEARCH_LINE = OpenSearchLine.V2;

    private static EmbeddedServices shared;

    private final Lazy<S3ProxyServer> s3 = new Lazy<>("S3Proxy", S3ProxyServer::start);
    private final Map<OpenSearchLine, Lazy<OpenSearchNode>> openSearch = new EnumMap<>(OpenSearchLine.class);
    private final Lazy<PostgresServer> postgres = new Lazy<>("PostgreSQL", PostgresServer::start);
    private final Lazy<SqsServer> sqs = new Lazy<>("ElasticMQ", SqsServer::start);
    // Services a caller started with its own settings (e.g. a report server), described and closed with the rest.
    private final Map<String, AutoCloseable> adopted = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> adoptedUrls = new java.util.concurrent.ConcurrentHashMap<>();
    private final List<Lazy<? extends AutoCloseable>> all = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::close, "ferry-embedded-services-shutdown");
    private volatile boolean closed;

    private EmbeddedServices() {
        for (OpenSearchLine line : OpenSearchLine.values()) {
            openSearch.put(line, new Lazy<>("OpenSearch " + line.major() + ".x", () -> OpenSearchNode.start(line)));
        }
        all.add(s3);
        all.addAll(openSearch.values());
        all.add(postgres);
        all.add(sqs);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The caller stops the services itself, in its own shutdown hook: local mode stops Ferry first (a Ferry still
     * polling a service that is already gone prints stack traces). The JVM runs shutdown hooks concurrently.
     */
    public void closeOnlyWhenAsked() {
        ChildProcess.closeOnlyWhenAsked();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs already
        }
    }

    /** The per-JVM instance (a new one if the previous one was closed). */
    public static synchronized EmbeddedServices shared() {
        if (shared == null || shared.closed) {
            shared = new EmbeddedServices();
        }
        return shared;
    }

    /** S3Proxy, started at first call. */
    public S3ProxyServer s3() {
        return s3.get();
    }

    /** OpenSearch of the default line ({@link #DEFAULT_OPENSEARCH_LINE}), started at first call. */
    public OpenSearchNode openSearch() {
        return openSearch(DEFAULT_OPENSEARCH_LINE);
    }

    /**
     * OpenSearch of {@code line}, started at first call.
     *
     * @throws IllegalStateException if the line cannot run here ({@link OpenSearchLine#isAvailable()})
     */
    public OpenSearchNode openSearch(OpenSearchLine line) {
        return openSearch.get(line).get();
    }

    /** PostgreSQL, started at first call. */
    public PostgresServer postgres() {
        return postgres.get();
    }

    /** ElasticMQ (an SQS-compatible server), started at first call. */
    public SqsServer sqs() {
        return sqs.get();
    }

    /** Start time of each service started so far, in milliseconds, by name. */
    public Map<String, Long> startMillis() {
        Map<String, Long> times = new java.util.LinkedHashMap<>();
        for (Lazy<? extends AutoCloseable> lazy : all) {
            if (lazy.startMillis >= 0) {
                times.put(lazy.name, lazy.startMillis);
            }
        }
        return Collections.unmodifiableMap(times);
    }

    /**
     * Takes over a service started elsewhere with its own settings (the report server of a test or demo): it is
     * listed by {@link #describe()} and stopped by {@link #close()}.
     */
    public <T extends AutoCloseable> T adopt(String name, String url, T service) {
        adopted.put(name, service);
        adoptedUrls.put(name, url);
        return service;
    }

    /** Every service started so far, by name, with where it listens. */
    public Map<String, String> describe() {
        Map<String, String> started = new java.util.LinkedHashMap<>();
        for (Lazy<? extends AutoCloseable> lazy : all) {
            AutoCloseable value = lazy.peek();
            if (value != null) {
                started.put(lazy.name, value.toString());
            }
        }
        started.putAll(new java.util.TreeMap<>(adoptedUrls));
        return Collections.unmodifiableMap(started);
    }

    public boolean isClosed() {
        return closed;
    }

    /** Stops every started service (in parallel); later calls to {@link #shared()} start afresh. */
    @Override
    public void close() {
        synchronized (EmbeddedServices.class) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // fine
            }
        }
        List<Thread> stoppers = new ArrayList<>();
        for (Lazy<? extends AutoCloseable> lazy : all) {
            stoppers.add(new Thread(lazy::close, "stop " + lazy.name));
        }
        adopted.forEach((name, service) -> stoppers.add(new Thread(() -> {
            try {
                service.close();
            } catch (Exception e) {
                System.err.println("[embedded] stopping " + name + " failed: " + e);
            }
        }, "stop " + name)));
        stoppers.forEach(Thread::start);
        for (Thread t : stoppers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Starts its service once, on first {@link #get()}; remembers a failure so it is not retried. */
    private final class Lazy<T extends AutoCloseable> {
        private final String name;
        private final Supplier<T> starter;
        private T value;
        private RuntimeException failure;
        private volatile long startMillis = -1;

        Lazy(String name, Supplier<T> starter) {
            this.name = name;
            this.starter = starter;
        }

        synchronized T get() {
            if (closed) {
                throw new IllegalStateException("EmbeddedServices closed; call EmbeddedServices.shared() again");
            }
            if (value == null && failure == null) {
                long t0 = System.nanoTime();
                try {
                    value = starter.get();
                    startMillis = (System.nanoTime() - t0) / 1_000_000;
                    System.out.println("[embedded] " + name + " started in " + startMillis + " ms: " + value);
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            if (failure != null) {
                throw new IllegalStateException(name + " could not start: " + failure.getMessage(), failure);
            }
            return value;
        }

        synchronized T peek() {
            return value;
        }

        synchronized void close() {
            if (value != null) {
                try {
                    value.close();
                } catch (Exception e) {
                    System.err.println("[embedded] stopping " + name + " failed: " + e);
                }
                value = null;
            }
        }
    }
}
