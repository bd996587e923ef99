package dev.ferry.local;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's local-mode command, minus Maven: every pipeline demo runs and its summary balances. */
class LocalModeTest {

    @Test
    void everyPipelineDemoRunsToABalancedSummary() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        LocalMode local = new LocalMode(out, Duration.ofMinutes(5));
        try (LocalMode.Session session = local.start()) {
            LocalMode.Outcome outcome = local.awaitAndSummarize(session);
            String printed = captured.toString(StandardCharsets.UTF_8);
            assertThat(outcome.ok()).as(printed).isTrue();
            assertThat(printed).contains("Summary").contains("every record accounted for")
                    .contains("http://127.0.0.1:" + session.managementPort() + "/observe/health");
            // the services' URLs refuse anonymous requests: their throwaway credentials are printed
            var config = session.ferry().config();
            assertThat(printed).contains("Credentials (local and throwaway):")
                    .contains("S3: access key " + config.get("ferry.s3.access-key") + ", secret key "
                            + config.get("ferry.s3.secret-key"))
                    .contains("password " + config.get("ferry.report-to-sql.password"));
            for (PipelineDemo demo : session.demos()) {
                LocalMode.PipelineTotals row = outcome.perPipeline().get(demo.pipeline());
                assertThat(row.runs()).as("runs of " + demo.pipeline()).isPositive();
                assertThat(row.read()).as("records in, " + demo.pipeline()).isPositive();
                assertThat(printed).contains(demo.pipeline());
            }
        }
    }

    /**
     * {@code -Dferry.local.replicas=3}: three instances, one leader per pipeline, s3-to-opensearch through the embedded
     * SQS queue: the summary balances over all of them, and each demo object was indexed once, by whichever replica.
     */
    @Test
    void threeReplicasShareTheDemosAndStillAccountForEveryRecord() throws Exception {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8);
        LocalMode local = new LocalMode(out, Duration.ofMinutes(5), 3);
        try (LocalMode.Session session = local.start()) {
            LocalMode.Outcome outcome = local.awaitAndSummarize(session);
            String printed = captured.toString(StandardCharsets.UTF_8);
            assertThat(outcome.ok()).as(printed).isTrue();
            assertThat(session.replicas()).hasSize(3);
            assertThat(printed).contains("3 replicas: one leader per pipeline").contains("through the SQS queue")
                    .contains("opensearch-to-s3's slices through the slice queue")
                    .contains("Ferry replica 3:");
            java.util.Map<String, Long> s3Runs = new java.util.HashMap<>();
            for (dev.ferry.accounting.RunAccount run : session.finishedRuns()) {
                if (run.pipeline().equals("s3-to-opensearch")) {
                    s3Runs.merge(run.subject(), 1L, Long::sum);
                }
            }
            assertThat(s3Runs).hasSize(S3ToOpenSearchDemo.OBJECTS).allSatisfy((subject, n) -> assertThat(n).as(subject).isEqualTo(1));
            // the dump's slices (2: the demo index has 2 shards) read through the slice queue, each in a run of its own
            java.util.List<dev.ferry.accounting.RunAccount> sliceRuns = session.finishedRuns().stream()
                    .filter(r -> r.pipeline().equals("opensearch-to-s3") && r.subject().matches(".* slice \\d+ of 2 -> .*"))
                    .toList();
            assertThat(sliceRuns).hasSize(2).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(dev.ferry.accounting.RunAccount.Status.SUCCEEDED));
            assertThat(sliceRuns.stream().mapToLong(dev.ferry.accounting.RunAccount::written).sum())
                    .isEqualTo(outcome.perPipeline().get("opensearch-to-s3").written()).isPositive();
            LocalMode.PipelineTotals row = outcome.perPipeline().get("s3-to-opensearch");
            assertThat(row.written() + row.deadLettered()).isEqualTo((long) S3ToOpenSearchDemo.OBJECTS * S3ToOpenSearchDemo.DOCS_PER_OBJECT
                    + S3ToOpenSearchDemo.BAD_LINES);
        }
    }
}
