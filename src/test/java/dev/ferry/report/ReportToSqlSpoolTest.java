package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.testing.FerryUnderTest;
import dev.ferry.testing.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The spool directory: nothing left behind by any run, and a full disk said to be one, then recovered from. */
class ReportToSqlSpoolTest {

    @Test
    void everyRunRemovesItsSpoolFileWhetherItSucceedsIsCutOffOrFailsLater(@TempDir Path spool) throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            // run 1: the body breaks off while spooling; run 2: spooled whole, then fails parsing; run 3 succeeds
            server.enqueue(Response.cutOffAfterRows(20), Response.renamedHeaderColumn());
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.spool-dir", spool.toString());
            settings.put("ferry.report-to-sql.period-ms", "1000");
            settings.put("ferry.report-to-sql.min-request-interval-ms", "0");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                List<RunAccount> runs = awaitRuns(ferry, 3);
                assertThat(runs).extracting(RunAccount::status).containsExactly(
                        RunAccount.Status.FAILED, RunAccount.Status.FAILED, RunAccount.Status.SUCCEEDED);
                assertThat(runs.get(0).failure()).contains("ended abruptly").contains("127.0.0.1:" + server.port());
                assertThat(runs.get(1).failure()).contains("header does not match");
                assertThat(runs).allSatisfy(r -> assertThat(r.read()).isEqualTo(r.written() + r.duplicate() + r.deadLettered()));
                assertThat(runs.get(2).written()).isEqualTo(40);
                // the file of the last run goes in the window route's doFinally, just after the run is finished
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                        .until(() -> spoolFiles(spool).isEmpty());
            }
            // nothing deletes spool files at shutdown: had run 1 or 2 left one, it would still be here
            assertThat(spoolFiles(spool)).isEmpty();
            assertThat(server.authenticatedRequests()).hasSize(3);
        }
    }

    /**
     * A real full disk: a 1 MiB tmpfs as the spool directory, nearly filled by another file. Needs root (mount);
     * skipped otherwise.
     */
    @Test
    void aFullSpoolDiskFailsTheRunSayingSoAndTheNextRunLoadsOnceThereIsRoomAgain(@TempDir Path dir) throws Exception {
        Path spool = Files.createDirectory(dir.resolve("spool"));
        try (SmallDisk disk = SmallDisk.mount(spool, "1m")) {
            Path filler = spool.resolve("other-data.bin");
            Files.write(filler, new byte[768 * 1024]); // leaves about 256 KiB: the report is about 600 KiB
            String db = h2Url();
            try (ReportServer server = ntlmServer(1000)) {
                Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
                settings.put("ferry.report-to-sql.spool-dir", spool.toString());
                settings.put("ferry.report-to-sql.period-ms", "1000");
                settings.put("ferry.report-to-sql.min-request-interval-ms", "0");
                try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                    RunAccount full = awaitRuns(ferry, 1).get(0);
                    assertThat(full.status()).isEqualTo(RunAccount.Status.FAILED);
                    assertThat(full.failure()).contains("spool disk is full").contains(spool.toString())
                            .contains("No space left on device").containsPattern("after \\d+ bytes")
                            .doesNotContain("ended abruptly");
                    assertThat(full.retried()).as("a full disk is not retried in a loop").isZero();
                    assertThat(full.read()).isEqualTo(full.written() + full.duplicate() + full.deadLettered());
                    assertThat(spoolFiles(spool)).as("the partial spool file is gone").isEmpty();

                    Files.delete(filler); // space is back
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                            .until(() -> runs(ferry).finished().stream().anyMatch(r -> r.status() == RunAccount.Status.SUCCEEDED));
                    RunAccount recovered = runs(ferry).finished().stream()
                            .filter(r -> r.status() == RunAccount.Status.SUCCEEDED).findFirst().orElseThrow();
                    assertThat(recovered.read()).isEqualTo(4000);
                    assertThat(recovered.written()).isEqualTo(4000);
                    assertThat(recovered.read()).isEqualTo(recovered.written() + recovered.duplicate() + recovered.deadLettered());
                }
                assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(4000);
                assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED'"
                        + " AND error LIKE '%spool disk is full%'")).isGreaterThanOrEqualTo(1);
                assertThat(spoolFiles(spool)).isEmpty();
            }
        }
    }

    static List<Path> spoolFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith(ReportSpool.PREFIX)).toList();
        }
    }
}
