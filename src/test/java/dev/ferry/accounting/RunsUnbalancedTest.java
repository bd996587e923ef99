package dev.ferry.accounting;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** ferry_runs_unbalanced_total: at zero from registration, counted once per run failed for unaccounted records only. */
class RunsUnbalancedTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final PipelineMetrics metrics = new PipelineMetrics(() -> registry);
    private final Runs runs = new Runs(metrics);

    @Test
    void anUnbalancedRunCountsAndFailsWhileBalancedAndOtherwiseFailedRunsDoNot() {
        metrics.register("s3-to-opensearch");
        metrics.register("report-to-sql");
        // exported at zero before any run, so increase() has a starting point
        assertThat(registry.scrape()).contains("ferry_runs_unbalanced_total{pipeline=\"s3-to-opensearch\"} 0.0")
                .contains("ferry_runs_unbalanced_total{pipeline=\"report-to-sql\"} 0.0");

        RunAccount balanced = runs.finish(runs.begin("s3-to-opensearch", "bucket/a").read(5).written(3).duplicate(1).deadLettered(1));
        assertThat(balanced.status()).isEqualTo(RunAccount.Status.SUCCEEDED);
        runs.fail(runs.begin("s3-to-opensearch", "bucket/b").read(5).written(2), "connection refused");
        assertThat(metrics.unbalancedRuns("s3-to-opensearch")).isZero();

        RunAccount unbalanced = runs.begin("s3-to-opensearch", "bucket/c").read(5).written(3);
        assertThat(runs.finish(unbalanced).status()).isEqualTo(RunAccount.Status.FAILED);
        assertThat(unbalanced.failure()).contains("records unaccounted for");
        // finishing it again does not count it twice
        runs.finish(unbalanced);

        assertThat(metrics.unbalancedRuns("s3-to-opensearch")).isEqualTo(1.0);
        assertThat(metrics.value("s3-to-opensearch", PipelineMetrics.Count.RUNS_FAILED)).isEqualTo(2.0);
        assertThat(registry.scrape()).contains("ferry_runs_unbalanced_total{pipeline=\"s3-to-opensearch\"} 1.0")
                .contains("ferry_runs_unbalanced_total{pipeline=\"report-to-sql\"} 0.0");
    }
}
