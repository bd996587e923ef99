package dev.ferry.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Local mode's summary row: records a transform filtered out count toward the balance, missing ones do not. */
class PipelineTotalsTest {

    private final Runs runs = new Runs(new PipelineMetrics(SimpleMeterRegistry::new));

    @Test
    void filteredRecordsBalanceAndMissingOnesDoNot() {
        RunAccount withFilter = runs.finish(runs.begin("s3-to-opensearch", "a.ndjson.gz")
                .read(10).written(6).duplicate(1).filtered(2).deadLettered(1));
        RunAccount otherPipeline = runs.finish(runs.begin("report-to-sql", "window").read(5).written(5));

        LocalMode.PipelineTotals totals = LocalMode.PipelineTotals.of("s3-to-opensearch", List.of(withFilter, otherPipeline));
        assertThat(totals.runs()).isEqualTo(1);
        assertThat(totals.filtered()).isEqualTo(2);
        assertThat(totals.failedRuns()).isZero();
        assertThat(totals.balanced()).isTrue();

        RunAccount missing = runs.fail(runs.begin("s3-to-opensearch", "b.ndjson.gz").read(10).written(7), "cut off");
        LocalMode.PipelineTotals unbalanced = LocalMode.PipelineTotals.of("s3-to-opensearch", List.of(withFilter, missing));
        assertThat(unbalanced.read()).isEqualTo(20);
        assertThat(unbalanced.failedRuns()).isEqualTo(1);
        assertThat(unbalanced.balanced()).isFalse();
    }
}
