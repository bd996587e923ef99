package dev.ferry.report;

import dev.ferry.testing.FerryUnderTest;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.PostgresServer;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.testing.PackagedFerry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas of the packaged Ferry share a lock directory (ferry.cluster.service=file) and one PostgreSQL: the
 * leader loads a 200,000-row window from the NTLM report server and is killed with SIGKILL mid-window; the follower
 * takes over within the stated bound ((stale-intervals + 1) x interval-ms, plus the trigger), marks the dead leader's
 * run ABANDONED, loads the window again from the watermark, and the table ends with every row once. The report server
 * never sees two requests at once: the window is never loaded twice concurrently. A failed run keeps its directory
 * (the replicas' logs).
 *
 * <p>It once failed 1 run in 6: the follower took the lock and started the trigger, whose timer then skipped its first
 * tick (Camel's timer drops a tick that comes before its route has finished starting, and the trigger fired at once).
 * The trigger's first delay is now at least {@link dev.ferry.cluster.Leadership#MIN_FIRST_TICK_DELAY_MS}.
 */
class ReportToSqlLeaderFailoverIT {

    private static final int HOURS = 50; // 50 h x 4 plants x 1,000 rows = 200,000 rows, one window
    private static final long ROWS = 200_000;
    private static final int LOCK_INTERVAL_MS = 500;
    private static final int STALE_INTERVALS = 3;
    @Test
    void theLeaderKilledMidWindowIsReplacedWithinTheBoundAndTheWindowLoadsOnceWithEveryRow(@TempDir(cleanup = CleanupMode.ON_SUCCESS) Path work)
            throws Exception {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        String db = pg.createDatabase("rts_failover_" + Long.toHexString(System.nanoTime()));
        LocalDateTime until = START.plusHours(HOURS);
        try (ReportServer server = ntlmServer(1000)) {
            server.behaviour().renderDelay(Duration.ofMillis(300));
            Path locks = Files.createDirectory(work.resolve("locks"));

            // Two replicas started together: one takes the lock and loads, the other follows.
            Process a = start(work, "a", environment(server, db, pg, until, work, "a", locks));
            Process b = start(work, "b", environment(server, db, pg, until, work, "b", locks));
            Process leader = null;
            Process follower = null;
            try {
                try {
                    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50))
                            .until(() -> leads(work, "a") || leads(work, "b") || !a.isAlive() || !b.isAlive());
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("no leader: a: " + tail(log(work, "a")) + "\nb: " + tail(log(work, "b")), e);
                }
                String leaderName = leads(work, "a") ? "a" : "b";
                String followerName = leaderName.equals("a") ? "b" : "a";
                leader = leaderName.equals("a") ? a : b;
                follower = leaderName.equals("a") ? b : a;
                Process l = leader;
                Process f = follower;
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).ignoreExceptions()
                        .until(() -> (trackingRows(db) >= 5_000 && log(work, followerName).contains(
                                "report-to-sql: this replica follows")) || !l.isAlive() || !f.isAlive());
                assertThat(leads(work, followerName)).as("one leader").isFalse();
                long requestsBeforeKill = server.stats().totalRequests();
                leader.destroyForcibly(); // bin/ferry execs java: SIGKILL to the JVM itself, no shutdown hook
                assertThat(leader.waitFor(30, TimeUnit.SECONDS)).isTrue();
                Instant killed = Instant.now();
                long committed = trackingRows(db);
                assertThat(committed).as("killed mid-window: %s", log(work, leaderName)).isBetween(5_000L, ROWS - 1);

                // The follower takes over and asks the report server for the window again.
                try {
                    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                            .until(() -> server.stats().totalRequests() > requestsBeforeKill);
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("no request from the follower within 30 s of the kill; follower: "
                            + tail(log(work, followerName)), e);
                }
                Duration takeover = Duration.between(killed, Instant.now());
                assertThat(leads(work, followerName)).isTrue();
                // (stale-intervals + 1) x interval = 2 s to take the lock, then the route starts, the trigger fires and
                // the first plan checks the tables (2.8 s here); 5 s of slack for a busy CI machine
                Duration bound = Duration.ofMillis((STALE_INTERVALS + 1L) * LOCK_INTERVAL_MS).plusSeconds(5);
                assertThat(takeover).as("kill -> the new leader's first request").isLessThan(bound);
                System.out.printf("leader killed with %d of %d rows committed; the follower asked again after %d ms%n",
                        committed, ROWS, takeover.toMillis());

                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                        .until(() -> count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status IN"
                                + " ('SUCCEEDED', 'FAILED')") >= 1 || !f.isAlive());

                assertThat(server.stats().maxInFlight()).as("never two report requests at once").isEqualTo(1);
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs")).isEqualTo(2);
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'ABANDONED'"
                        + " AND rows_inserted = " + committed)).as("the dead leader's run, marked by the new one").isEqualTo(1);
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'"
                        + " AND rows_read = " + ROWS + " AND rows_inserted = " + (ROWS - committed)
                        + " AND rows_duplicate = " + committed
                        + " AND rows_read = rows_inserted + rows_duplicate + rows_filtered + rows_rejected"))
                        .as("the new leader's run balances: %s", log(work, followerName)).isEqualTo(1);
                assertThat(trackingRows(db)).isEqualTo(ROWS);
                assertThat(count(db, "SELECT COUNT(DISTINCT tracking_id) FROM report_tracking")).isEqualTo(ROWS);
                assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, until));
            } finally {
                for (Process p : new Process[] {leader, follower}) {
                    if (p != null) {
                        p.destroy(); // the killed one is gone; the other stops cleanly (SIGTERM)
                        p.waitFor(60, TimeUnit.SECONDS);
                    }
                }
                a.destroyForcibly();
                b.destroyForcibly();
            }
        }
    }

    private static String tail(String log) {
        return log.length() > 3000 ? log.substring(log.length() - 3000) : log;
    }

    private static boolean leads(Path work, String replica) throws IOException {
        return log(work, replica).contains("report-to-sql: this replica now leads");
    }

    private static Map<String, String> environment(ReportServer server, String db, PostgresServer pg, LocalDateTime until,
                                                   Path work, String replica, Path locks) throws IOException {
        Map<String, String> settings = postgresSettings(server, db, pg, until, HOURS,
                Files.createDirectories(work.resolve(replica + "-spool")));
        settings.putAll(FerryUnderTest.fileLockCluster(locks, LOCK_INTERVAL_MS, STALE_INTERVALS));
        return settings;
    }

    private static Process start(Path work, String replica, Map<String, String> settings) throws IOException {
        return PackagedFerry.start(work, work.resolve(replica + ".log"), settings);
    }

    private static String log(Path work, String replica) throws IOException {
        return PackagedFerry.read(work.resolve(replica + ".log"));
    }
}
