package dev.ferry;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.quartz.Scheduler;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.LoggerFactory;

import java.io.StringWriter;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * src/main/resources/log4j2.properties, as Ferry, local mode and the tests use it: a Quartz scheduler starting and
 * stopping (opensearch-to-s3's cron trigger) prints none of its banner and info lines; Ferry's own lines still show.
 */
class LoggingConfigurationTest {

    @Test
    void quartzBannerAndInfoLinesAreQuietAndFerrysOwnLinesAreNot() throws Exception {
        StringWriter printed = new StringWriter();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        WriterAppender capture = WriterAppender.newBuilder().setName("capture-" + System.nanoTime()).setTarget(printed)
                .setLayout(PatternLayout.newBuilder().withPattern("%-5level %c - %msg%n").build()).build();
        capture.start();
        config.getRootLogger().addAppender(capture, null, null);
        context.updateLoggers();
        try {
            Properties quartz = new Properties();
            quartz.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "logging-test-" + System.nanoTime());
            quartz.setProperty("org.quartz.threadPool.threadCount", "1");
            Scheduler scheduler = new StdSchedulerFactory(quartz).getScheduler();
            scheduler.start();
            scheduler.shutdown(true);
            LoggerFactory.getLogger(FerryBeans.class).info("Ferry beans ready");
        } finally {
            config.getRootLogger().removeAppender(capture.getName());
            context.updateLoggers();
            capture.stop();
        }
        assertThat(printed.toString()).contains("INFO  dev.ferry.FerryBeans - Ferry beans ready")
                .doesNotContain("org.quartz").doesNotContain("Quartz Scheduler");
    }

    /**
     * Camel's placeholder summary iterated a map that route threads still wrote to ("Error notifying event Started
     * routes ... ConcurrentModificationException" at start): it is off, and Ferry's own summary names every setting
     * with secrets hidden. A start logs no ERROR.
     */
    @Test
    void aStartLogsFerrysSettingsSummaryWithSecretsHiddenAndNoError() throws Exception {
        StringWriter printed = new StringWriter();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        WriterAppender capture = WriterAppender.newBuilder().setName("capture-" + System.nanoTime()).setTarget(printed)
                .setLayout(PatternLayout.newBuilder().withPattern("%-5level %c{1} - %msg%n%ex").build()).build();
        capture.start();
        config.getRootLogger().addAppender(capture, null, null);
        context.updateLoggers();
        try (FerryUnderTest ferry = FerryUnderTest.start(java.util.Map.of("ferry.report-to-sql.enabled", "true",
                "ferry.report-to-sql.auth-method", "none", "ferry.report-to-sql.initial-delay-ms", "600000",
                "ferry.db.password", "summary-secret-42"))) {
            assertThat(ferry.camelContext().getManagementStrategy().getEventNotifiers())
                    .noneMatch(n -> n.getClass().getName().contains("PlaceholderSummary"));
        } finally {
            config.getRootLogger().removeAppender(capture.getName());
            context.updateLoggers();
            capture.stop();
        }
        assertThat(printed.toString()).contains("INFO  Ferry - Settings (profile prod")
                .contains("ferry.db.password = <hidden> (override)")
                .contains("ferry.report-to-sql.enabled = 'true' (override)")
                .doesNotContain("summary-secret-42")
                .doesNotContain("ERROR").doesNotContain("Error notifying event");
    }
}
