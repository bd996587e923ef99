package dev.ferry.local;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The local-mode demo seeds what it says, and its finished() agrees with the ledger. */
class S3ToOpenSearchDemoTest {

    @Test
    void theDemoSeedsFiftyThousandDocumentsWithTwoBadLinesAndSaysWhenTheyAreAllProcessed() throws Exception {
        S3ToOpenSearchDemo demo = new S3ToOpenSearchDemo();
        Map<String, String> overrides = demo.seed(EmbeddedServices.shared());
        assertThat(demo.subjects()).hasSize(S3ToOpenSearchDemo.OBJECTS);
        try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
            Runs runs = ferry.bean("runs", Runs.class);
            assertThat(demo.finished(runs.finished())).isFalse();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(250)).until(() -> demo.finished(runs.finished()));
            PipelineMetrics m = runs.metrics();
            long docs = (long) S3ToOpenSearchDemo.OBJECTS * S3ToOpenSearchDemo.DOCS_PER_OBJECT;
            assertThat(m.value("s3-to-opensearch", PipelineMetrics.Count.READ)).isEqualTo(docs + S3ToOpenSearchDemo.BAD_LINES);
            assertThat(m.value("s3-to-opensearch", PipelineMetrics.Count.WRITTEN)).isEqualTo(docs);
            assertThat(m.value("s3-to-opensearch", PipelineMetrics.Count.DEAD_LETTERED)).isEqualTo(S3ToOpenSearchDemo.BAD_LINES);
        }
    }
}
