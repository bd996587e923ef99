package dev.ferry.dump;

import dev.ferry.testing.PackagedFerry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A one-shot dump of the packaged layout (target/ferry/bin/ferry, a child process) killed with SIGKILL mid-dump, then
 * run again: it resumes on the same point in time from the checkpoint, and the manifest's parts hold every document
 * exactly once, byte for byte; nothing is left on the spool.
 */
class OpenSearchToS3CrashIT {

    @TempDir
    Path work;

    @Test
    void aDumpKilledMidwayResumesFromItsCheckpointAndHoldsEveryDocumentExactlyOnce() throws Exception {
        DumpFixture f = new DumpFixture("crash");
        int total = f.seed(200_000);
        Map<String, String> settings = new HashMap<>(f.settings(work));
        settings.put("ferry.opensearch-to-s3.one-shot", "true");
        settings.put("ferry.opensearch-to-s3.page-size", "1000");
        settings.put("ferry.opensearch-to-s3.part-max-docs", "5000");
        Path spool = work.resolve("spool");

        Process first = start(settings, work.resolve("first.log"));
        try {
            // killed once a good share is safely in S3 and the dump is far from done
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> f.checkpointDocuments("dumps") >= 20_000);
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup, the point in time stays open
        }
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String folder = f.dumpFolders("dumps").get(0);
        assertThat(f.keys(folder)).doesNotContain(folder + "manifest.json");
        long atCrash = f.checkpointDocuments("dumps");
        assertThat(atCrash).isLessThan(total);

        Process second = start(settings, work.resolve("second.log"));
        assertThat(second.waitFor(180, TimeUnit.SECONDS)).as("the resumed one-shot dump exits").isTrue();
        String log = Files.readString(work.resolve("second.log"));
        assertThat(second.exitValue()).as(log.length() > 4000 ? log.substring(log.length() - 4000) : log).isZero();
        assertThat(log).contains("resumed").contains("point in time is alive");

        assertThat(f.dumpFolders("dumps")).containsExactly(folder);
        f.assertHoldsEveryDocumentOnce(folder, total);
        try (Stream<Path> left = Files.exists(spool) ? Files.list(spool) : Stream.empty()) {
            assertThat(left.toList()).as("spool cleaned").isEmpty();
        }
        assertThat(f.openPits()).as("points in time left open").isZero();
    }

    /** bin/ferry with the settings (as environment variables), an H2 database of its own. */
    private Process start(Map<String, String> settings, Path log) throws IOException {
        Map<String, String> all = new HashMap<>(settings);
        all.put("ferry.db.url", "jdbc:h2:mem:crash-" + System.nanoTime() + ";MODE=MSSQLServer");
        return PackagedFerry.start(work, log, all);
    }
}
