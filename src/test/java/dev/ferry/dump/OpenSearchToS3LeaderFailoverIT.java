package dev.ferry.dump;

import dev.ferry.testing.FerryUnderTest;
import dev.ferry.testing.PackagedFerry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas share a lock directory (ferry.cluster.service=file) and a request directory: the leader takes a dump
 * request file and is killed with SIGKILL mid-dump; the follower takes over within the stated bound, finds the request
 * file still waiting (it moves to .done only when its dump ends), resumes the dump from its checkpoint on the same
 * point in time, and writes the manifest once: every document exactly once, byte for byte.
 */
class OpenSearchToS3LeaderFailoverIT {

    private static final int LOCK_INTERVAL_MS = 500;
    private static final int STALE_INTERVALS = 3;

    @TempDir
    Path work;

    @Test
    void theLeaderKilledMidDumpIsReplacedAndTheDumpResumesToAManifestWithEveryDocumentOnce() throws Exception {
        DumpFixture f = new DumpFixture("failover");
        int total = f.seed(100_000);
        Path requests = Files.createDirectories(work.resolve("requests"));
        Path locks = Files.createDirectories(work.resolve("locks"));

        Process a = FerryUnderTest.launchProcess(settings(f, "a", requests, locks), work.resolve("a.log"));
        Process b = FerryUnderTest.launchProcess(settings(f, "b", requests, locks), work.resolve("b.log"));
        try {
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100))
                    .until(() -> (leads("a") && follows("b")) || (leads("b") && follows("a")) || !a.isAlive() || !b.isAlive());
            String leaderName = leads("a") ? "a" : "b";
            String followerName = leaderName.equals("a") ? "b" : "a";
            Process leader = leaderName.equals("a") ? a : b;
            assertThat(leads(followerName)).as("one leader").isFalse();

            Files.writeString(requests.resolve("nightly.json"), "{\"index\":\"" + f.index + "\"}");
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                    .until(() -> f.checkpointDocuments("dumps") >= 20_000 || !leader.isAlive());
            leader.destroyForcibly(); // SIGKILL: no shutdown hook; the request file stays, the point in time stays open
            assertThat(leader.waitFor(30, TimeUnit.SECONDS)).isTrue();
            Instant killed = Instant.now();
            String folder = f.dumpFolders("dumps").get(0);
            long atKill = f.checkpointDocuments("dumps");
            assertThat(f.keys(folder)).as("killed mid-dump: %s", log(leaderName)).doesNotContain(folder + "manifest.json");
            assertThat(atKill).isLessThan(total);
            assertThat(requests.resolve("nightly.json")).as("the request waits for a leader").exists();

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() -> leads(followerName));
            Duration takeover = Duration.between(killed, Instant.now());
            assertThat(takeover).as("kill -> the follower leads")
                    .isLessThan(Duration.ofMillis((STALE_INTERVALS + 1L) * LOCK_INTERVAL_MS).plusSeconds(5));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> f.keys(folder).contains(folder + "manifest.json"));
            System.out.printf("dump leader killed at %d of %d documents; the follower led after %d ms%n", atKill, total,
                    takeover.toMillis());

            String resumed = log(followerName);
            assertThat(resumed).contains("resumed").contains("point in time is alive");
            // the request file resumes its own dump; the start-up resume of the scheduled dump steps aside, so no
            // second trigger collides with it ("already running" would fail a run and move the request to .done/)
            assertThat(resumed).doesNotContain("already running").doesNotContain("resuming it now");
            assertThat(f.dumpFolders("dumps")).as("one dump, resumed, not a second one").containsExactly(folder);
            f.assertHoldsEveryDocumentOnce(folder, total);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(requests.resolve("nightly.json")));
        } finally {
            for (Process p : new Process[] {a, b}) {
                p.destroy();
                p.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private Map<String, String> settings(DumpFixture f, String replica, Path requests, Path locks) {
        Map<String, String> s = new HashMap<>(f.settings(work.resolve(replica)));
        s.put("ferry.opensearch-to-s3.request-dir", requests.toString());
        s.put("ferry.opensearch-to-s3.page-size", "1000");
        s.put("ferry.opensearch-to-s3.part-max-docs", "5000");
        s.put("ferry.db.url", "jdbc:h2:mem:failover-" + replica + ";MODE=MSSQLServer");
        s.putAll(FerryUnderTest.fileLockCluster(locks, LOCK_INTERVAL_MS, STALE_INTERVALS));
        return s;
    }

    private boolean leads(String replica) throws IOException {
        return log(replica).contains("opensearch-to-s3: this replica now leads");
    }

    private boolean follows(String replica) throws IOException {
        return log(replica).contains("opensearch-to-s3: this replica follows");
    }

    private String log(String replica) throws IOException {
        return PackagedFerry.read(work.resolve(replica + ".log"));
    }
}
