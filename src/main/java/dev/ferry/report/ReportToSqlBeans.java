package dev.ferry.report;

import dev.ferry.Pipeline;
import dev.ferry.accounting.Runs;
import dev.ferry.cluster.LeadershipLoss;
import dev.ferry.sqlload.ColumnMapping;
import dev.ferry.sqlload.RowHasher;
import dev.ferry.sql.RunStateRepository;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;

import javax.sql.DataSource;
import java.time.Clock;

/**
 * Binds the beans routes/report-to-sql.camel.yaml uses, from the {@code ferry.report-to-sql.*} settings. Named in
 * {@code camel.main.configuration-classes} after {@link dev.ferry.FerryBeans}, whose data source and ledger it uses;
 * nothing here connects to a server (the tables are migrated at the first run).
 */
public class ReportToSqlBeans implements org.apache.camel.CamelConfiguration {

    @Override
    public void configure(CamelContext context) {
        bind(context, context.getPropertiesComponent(),
                context.getRegistry().lookupByNameAndType("ferryDataSource", DataSource.class),
                context.getRegistry().lookupByNameAndType("runs", Runs.class));
    }

    static void bind(CamelContext context, PropertiesComponent pc, DataSource dataSource, Runs runs) {
        ReportToSqlSettings settings = new ReportToSqlSettings(key -> pc.resolveProperty(key).orElse(null));
        ColumnMapping mapping = settings.columns();
        RunStateRepository runState = new RunStateRepository(dataSource, settings.runTable(), Clock.systemUTC());
        var registry = context.getRegistry();
        registry.bind("reportWindowPlanner", new ReportWindowPlanner(settings, dataSource, runState, Clock.systemUTC()));
        ReportRequestPacer pacer = new ReportRequestPacer(settings.minRequestIntervalMs(), settings.maxRenderMs(),
                settings.retryAfterMaxMs(), settings.readTimeoutMs(), settings.baseUrl());
        pacer.onThrottled(() -> runs.metrics().add(Pipeline.REPORT_TO_SQL.id(),
                dev.ferry.accounting.PipelineMetrics.Count.THROTTLED, 1));
        ReportRunRecorder recorder = new ReportRunRecorder(runs, runState, settings.reportKey(), pacer);
        registry.bind("reportRunRecorder", recorder);
        LeadershipLoss loss = registry.lookupByNameAndType(LeadershipLoss.beanName(Pipeline.REPORT_TO_SQL.id()),
                LeadershipLoss.class);
        if (loss != null) {
            recorder.whileLeading(loss::leads);
            loss.onLoss(recorder::stopRunning);
        }
        registry.bind("reportRequest", new ReportRequest(settings));
        registry.bind("reportRequestPacer", pacer);
        registry.bind("reportHttpAuth", new ReportHttpAuth(settings.authMethod(), settings.user(), settings.password(), settings.domain()));
        if (settings.truststore() != null) {
            registry.bind("reportTls", tls(settings));
            pc.addOverrideProperty("ferry.report-to-sql.tls-context", "#reportTls");
        }
        registry.bind("reportFailures", new ReportFailures(settings.baseUrl(), settings.truststore()));
        ReportSpool spool = new ReportSpool(settings.spoolDirectory(), ReportRequestPacer.hostAndPort(settings.baseUrl()));
        if (Boolean.parseBoolean(pc.resolveProperty(Pipeline.REPORT_TO_SQL.enabledKey()).orElse("false"))) {
            spool.removeLeftovers(); // files of runs a killed process never finished
        }
        registry.bind("reportSpool", spool);
        registry.bind("reportCsv", new ReportCsv(mapping.reportColumns()));
        registry.bind("reportRowConverter", new RowConverter(mapping, new RowHasher(mapping, settings.keyColumns())));
        registry.bind("reportWriters", writers(context, settings.writers()));
    }

    /**
     * The batch writers: a fixed number of threads; the split's next step waits in their queue behind the batch it
     * handed over, so the report is read at most one batch ahead ({@link dev.ferry.SplitPools}). At most about
     * writers + 2 batches are in memory; {@link dev.ferry.accounting.RunAccount#peakUnaccounted()} shows it per run.
     */
    static java.util.concurrent.ExecutorService writers(CamelContext context, int writers) {
        return dev.ferry.SplitPools.fifo(context, ReportToSqlBeans.class, "report-to-sql-writer", writers);
    }

    /** TLS with the configured trust store (without one, the JVM's default trust applies and nothing is bound). */
    static SSLContextParameters tls(ReportToSqlSettings settings) {
        SSLContextParameters tls = new SSLContextParameters();
        if (settings.truststore() != null) {
            KeyStoreParameters store = new KeyStoreParameters();
            store.setResource(settings.truststore().startsWith("classpath:") || settings.truststore().startsWith("file:")
                    ? settings.truststore() : "file:" + settings.truststore());
            store.setPassword(settings.truststorePassword());
            TrustManagersParameters trust = new TrustManagersParameters();
            trust.setKeyStore(store);
            tls.setTrustManagers(trust);
        }
        return tls;
    }
}
