package dev.ferry.accounting;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A run asked to stop (its replica stopped leading the pipeline) never ends as a success, even when it balances. */
class RunsStopTest {

    private final Runs runs = new Runs(new PipelineMetrics(() -> new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)));

    @Test
    void aStoppedRunFailsWithTheFirstReasonEvenWhenItBalances() {
        RunAccount run = runs.begin("report-to-sql", "window").read(10).written(10);
        run.stop("this replica no longer leads report-to-sql");
        run.stop("a later reason");
        assertThat(run.stopReason()).isEqualTo("this replica no longer leads report-to-sql");

        runs.finish(run);
        assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(run.failure()).isEqualTo("this replica no longer leads report-to-sql");
        assertThat(runs.active()).isEmpty();
    }

    @Test
    void stoppingARunThatEndedChangesNothing() {
        RunAccount run = runs.finish(runs.begin("report-to-sql", "window").read(3).duplicate(3));
        run.stop("too late");
        assertThat(run.stopReason()).isNull();
        assertThat(run.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
    }

    @Test
    void aStoppedRunThatDoesNotBalanceSaysSoFirst() {
        RunAccount run = runs.begin("report-to-sql", "window").read(10).written(9);
        run.stop("this replica no longer leads report-to-sql");
        runs.finish(run);
        assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(run.failure()).startsWith("records unaccounted for: read=10");
    }
}
