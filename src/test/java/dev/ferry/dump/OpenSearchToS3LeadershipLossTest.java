package dev.ferry.dump;

import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader that loses the lead while it lives stops its dump at once, and the dump goes on from its checkpoint once a
 * replica leads again. Camel's route policy alone would only stop the dump's trigger route, waiting up to the shutdown
 * timeout for the dump in flight: the old and the new leader would write the same dump at once. Here one replica on a
 * lock directory loses its lock when the lock file disappears (its next check finds it gone), and takes it again a lock
 * interval later: the resume at leadership (opensearch-to-s3-resume-unfinished) then finishes the dump.
 */
class OpenSearchToS3LeadershipLossTest {

    @TempDir
    Path work;

    @Test
    void aLeaderThatLosesTheLeadStopsItsDumpAtOnceAndTheNextLeaderFinishesIt() throws Exception {
        DumpFixture f = new DumpFixture("lead-lost");
        int total = f.seed(12_000);
        Path locks = work.resolve("locks");
        Path requests = Files.createDirectories(work.resolve("requests"));
        Map<String, String> settings = f.settings(work);
        settings.put("ferry.opensearch-to-s3.request-dir", requests.toString());
        settings.put("ferry.opensearch-to-s3.uploads-in-flight", "1");
        settings.putAll(FerryUnderTest.fileLockCluster(locks, 300, 2));
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            Runs runs = ferry.bean("runs", Runs.class);
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(locks.resolve("ferry-opensearch-to-s3")));
            Files.writeString(requests.resolve("now.json"), ""); // the configured index
            OpenSearchToS3FaultTest.awaitCheckpointedDocuments(f);

            Files.delete(locks.resolve("ferry-opensearch-to-s3"));
            Instant lost = Instant.now();
            await().atMost(Duration.ofSeconds(20)).until(() -> !runs.finished().isEmpty());
            Duration stoppedAfter = Duration.between(lost, Instant.now());
            RunAccount stopped = runs.finished().get(0);
            assertThat(stopped.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(stopped.failure()).contains("this replica no longer leads opensearch-to-s3").contains("no manifest written");
            assertThat(stopped.written()).isPositive().isLessThan(total);
            assertThat(stoppedAfter).as("stopped at its next part, not after the shutdown timeout")
                    .isLessThan(Duration.ofSeconds(10));

            // leading again, the replica resumes the dump from its checkpoint without any trigger
            await().atMost(Duration.ofMinutes(2)).until(() -> runs.finished().size() == 2);
            RunAccount resumed = runs.finished().get(1);
            assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(resumed.subject()).contains("(resumed)");
            List<String> folders = f.dumpFolders("dumps");
            assertThat(folders).as("one dump, stopped and resumed").hasSize(1);
            f.assertHoldsEveryDocumentOnce(folders.get(0), total);
        }
    }
}
