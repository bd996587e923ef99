package dev.ferry;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ferry.cluster.Leadership;
import dev.ferry.config.AwsSettings;
import dev.ferry.config.Setting;
import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.ResidentMemoryGauge;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunEvents;
import dev.ferry.accounting.Runs;
import dev.ferry.health.CircuitBreakerGauges;
import dev.ferry.health.DatabaseReachabilityCheck;
import dev.ferry.health.OpenSearchReachabilityCheck;
import dev.ferry.health.ReadinessGauge;
import dev.ferry.health.S3ReachabilityCheck;
import dev.ferry.opensearch.OpenSearchConnection;
import dev.ferry.dump.DumpDestinationUri;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Binds Ferry's shared beans into Camel's registry from {@code ferry.*} settings: the S3 client, the database pool,
 * the run ledger and metrics, and the readiness checks of the services the enabled pipelines use. Named in
 * {@code camel.main.configuration-classes}, so Ferry's launcher and {@code camel run} wire the same beans.
 */
public class FerryBeans implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(FerryBeans.class);

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();

        PipelineMetrics metrics = new PipelineMetrics(() -> findMeterRegistry(context));
        // every finished run goes to direct:ferry-run-finished (routes/run-events.camel.yaml), synchronously
        Runs runs = new Runs(metrics, new RunEvents(context, metrics));
        context.getRegistry().bind("pipelineMetrics", metrics);
        context.getRegistry().bind("runs", runs);
        context.getRegistry().bind("retryCounter", new RetryCounter(metrics));
        context.getRegistry().bind("transformStage", new dev.ferry.records.TransformStage());
        ObserveEndpoints.install(context);
        // before the routes are built: their routePolicy names these beans
        Leadership.install(context, Arrays.stream(Pipeline.values()).map(Pipeline::id).toList(), metrics::registry);
        context.addStartupListener((ctx, alreadyStarted) -> {
            for (Pipeline p : Pipeline.values()) {
                metrics.register(p.id());
            }
            ResidentMemoryGauge.register(metrics.registry());
        });
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) {
                // once the routes are up: their circuit breakers exist, and readiness means something
                ReadinessGauge.register(ctx, metrics.registry());
                CircuitBreakerGauges.register(ctx, metrics.registry());
            }
        });

        S3Client s3 = s3Client(pc);
        context.getRegistry().bind("ferryS3Client", s3);
        HikariDataSource dataSource = dataSource(pc);
        context.getRegistry().bind("ferryDataSource", dataSource);
        // Camel stops services after the routes: the pool and the S3 client close once no run can use them, so a
        // stopped Ferry holds no connection (and an embedded H2 file database is really closed, not left open).
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                dataSource.close();
                s3.close();
            }
        }, true, true);

        Set<Pipeline.Service> needed = EnumSet.noneOf(Pipeline.Service.class);
        Set<String> buckets = new TreeSet<>();
        for (Pipeline p : Pipeline.values()) {
            if (Boolean.parseBoolean(pc.resolveProperty(p.enabledKey()).orElse("false"))) {
                Set<Pipeline.Service> services = EnumSet.copyOf(p.services());
                // by name: the properties map of camel-main holds no application.properties keys at this point
                for (String setting : List.of("bucket", "dead-letter-bucket")) {
                    pc.resolveProperty("ferry." + p.id() + "." + setting).map(String::trim).filter(b -> !b.isEmpty())
                            .ifPresent(buckets::add);
                }
                // a destination URI (opensearch-to-s3): its bucket is checked; a local directory needs no S3 at all
                Optional<String> destination = pc.resolveProperty("ferry." + p.id() + ".destination");
                if (destination.isPresent()) {
                    if (DumpDestinationUri.parse(destination.get()) instanceof DumpDestinationUri.S3 s3Uri) {
                        buckets.add(s3Uri.bucket());
                    } else {
                        services.remove(Pipeline.Service.S3);
                    }
                }
                needed.addAll(services);
            }
        }
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (needed.contains(Pipeline.Service.S3)) {
            health.register(new S3ReachabilityCheck(s3, new ArrayList<>(buckets)));
        }
        if (needed.contains(Pipeline.Service.OPENSEARCH)) {
            health.register(new OpenSearchReachabilityCheck(OpenSearchConnection.from(pc)));
        }
        if (needed.contains(Pipeline.Service.DATABASE)) {
            health.register(new DatabaseReachabilityCheck(dataSource));
        }
        LOG.info("Ferry beans ready; readiness checks for {}", needed.isEmpty() ? "no external service" : needed);
    }

    static S3Client s3Client(PropertiesComponent pc) {
        S3ClientBuilder builder = AwsSettings.configure(S3Client.builder(), pc, "ferry.s3")
                .forcePathStyle(Boolean.parseBoolean(Setting.required(pc, "ferry.s3.path-style")));
        String socketTimeout = Setting.optional(pc, "ferry.s3.socket-timeout-ms");
        if (socketTimeout != null) { // a read that waits longer counts as broken: s3-to-opensearch then resumes it
            builder.httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofMillis(Long.parseLong(socketTimeout))));
        }
        return builder.build();
    }

    /**
     * The report-to-sql target's pool, created lazily: it connects at its first use (the pipeline's first run or its
     * readiness check), so a process whose report-to-sql is off never connects to, nor warns about, a database.
     */
    static HikariDataSource dataSource(PropertiesComponent pc) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("ferry-db");
        String url = Setting.required(pc, "ferry.db.url");
        config.setJdbcUrl(url);
        // Named, the driver is loaded by HikariCP itself. Left to DriverManager, `camel run --dep=dev.ferry:ferry:...`
        // failed with "No suitable driver": there Ferry and its drivers sit in the CLI's download class loader, whose
        // drivers DriverManager never loads.
        config.setDriverClassName(driverClassFor(url));
        config.setUsername(Setting.optional(pc, "ferry.db.user"));
        config.setPassword(Setting.optional(pc, "ferry.db.password"));
        config.setMaximumPoolSize(Integer.parseInt(Setting.required(pc, "ferry.db.pool-size")));
        // Start even when the database is down: readiness reports it, and runs retry.
        config.setInitializationFailTimeout(-1);
        // HikariDataSource(HikariConfig) would start the pool (and connect) right here; the no-argument one with the
        // same settings starts it at the first getConnection().
        HikariDataSource lazy = new HikariDataSource();
        config.copyStateTo(lazy);
        return lazy;
    }

    /** The class of the first JDBC driver beside Ferry (H2, PostgreSQL, SQL Server) accepting the URL; null if none. */
    static String driverClassFor(String url) {
        for (java.util.Iterator<java.sql.Driver> drivers =
             java.util.ServiceLoader.load(java.sql.Driver.class, FerryBeans.class.getClassLoader()).iterator(); ; ) {
            try {
                if (!drivers.hasNext()) {
                    return null; // HikariCP then asks DriverManager, and names the URL's form in its error
                }
                java.sql.Driver driver = drivers.next();
                if (driver.acceptsURL(url)) {
                    return driver.getClass().getName();
                }
            } catch (java.sql.SQLException | java.util.ServiceConfigurationError e) {
                // a driver that cannot load or judge the URL is not the one
            }
        }
    }

    private static MeterRegistry findMeterRegistry(CamelContext context) {
        Set<MeterRegistry> found = context.getRegistry().findByType(MeterRegistry.class);
        return found.stream().filter(r -> r.getClass().getSimpleName().startsWith("Prometheus")).findFirst()
                .orElse(found.stream().findFirst().orElse(null));
    }
}
