package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Defect;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** What a process killed mid-run leaves behind, cleaned up by the next start: spool files, and RUNNING run records. */
class ReportToSqlLeftoversTest {

    @Test
    void spoolFilesOfDeadProcessesAreRemovedAtStartButNotThoseInUseNewerOrNotFerrys(@TempDir Path spool, @TempDir Path work)
            throws Exception {
        Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));
        Path dead = leftover(spool, ReportSpool.PREFIX + "killed" + ReportSpool.SUFFIX, anHourAgo);
        Path inUse = leftover(spool, ReportSpool.PREFIX + "in-use" + ReportSpool.SUFFIX, anHourAgo);
        Path newer = leftover(spool, ReportSpool.PREFIX + "newer" + ReportSpool.SUFFIX, Instant.now().plus(Duration.ofHours(1)));
        Path notFerrys = leftover(spool, "report-notes.csv", anHourAgo);
        // another live process holds its run's file locked, as a running Ferry does
        Process holder = holdLock(work, inUse);
        try {
            String db = h2Url();
            try (ReportServer server = ntlmServer(10)) {
                Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
                settings.put("ferry.report-to-sql.spool-dir", spool.toString());
                try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                    RunAccount run = awaitRuns(ferry, 1).get(0);
                    assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                    assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.deadLettered()).isEqualTo(40);
                }
            }
            assertThat(dead).doesNotExist();
            assertThat(inUse).exists();
            assertThat(newer).exists();
            assertThat(notFerrys).exists();
            assertThat(ReportToSqlSpoolTest.spoolFiles(spool)).containsExactlyInAnyOrder(inUse, newer);
        } finally {
            holder.getOutputStream().close(); // lets it exit
            if (!holder.waitFor(10, TimeUnit.SECONDS)) {
                holder.destroyForcibly();
            }
        }
    }

    @Test
    void anAbandonedRunsRecordCountsTheRowsItCommitted() throws Exception {
        String db = h2Url();
        try (ReportServer server = ntlmServer(10)) {
            server.behaviour().defect(3, Defect.BAD_QUANTITY);
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                assertThat(awaitRuns(ferry, 1).get(0).status()).isEqualTo(RunAccount.Status.SUCCEEDED);
            }
            // As a process killed after its last commit leaves it: every batch in, the run record still RUNNING at zero.
            try (Connection c = connect(db); Statement st = c.createStatement()) {
                assertThat(st.executeUpdate("UPDATE report_to_sql_runs SET status = 'RUNNING', ended_at = NULL,"
                        + " rows_read = 0, rows_inserted = 0, rows_duplicate = 0, rows_rejected = 0")).isEqualTo(1);
            }
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                List<RunAccount> runs = awaitRuns(ferry, 1);
                // the window loads again: what the abandoned run inserted counts as duplicates now
                assertThat(runs.get(0).status()).as(runs.get(0).summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(runs.get(0).duplicate()).isEqualTo(39);
                assertThat(runs.get(0).deadLettered()).isEqualTo(1);
                assertThat(runs.get(0).read()).isEqualTo(runs.get(0).written() + runs.get(0).duplicate() + runs.get(0).deadLettered());
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'ABANDONED' AND ended_at IS NOT NULL"
                    + " AND rows_inserted = 39 AND rows_rejected = 1 AND rows_duplicate = 0 AND rows_read = 40"
                    + " AND error LIKE '%process stopped during this run%'")).isEqualTo(1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(39);
        }
    }

    private static Path leftover(Path dir, String name, Instant modified) throws Exception {
        Path file = Files.writeString(dir.resolve(name), "TrackingId,Plant\r\nT-1,A\r\n");
        Files.setLastModifiedTime(file, FileTime.from(modified));
        return file;
    }

    /** A separate JVM that locks the file the way a running Ferry locks its spool file, until its stdin closes. */
    private static Process holdLock(Path work, Path file) throws Exception {
        Path source = Files.writeString(work.resolve("LockHolder.java"), """
                import java.nio.channels.FileChannel;
                import java.nio.file.Path;
                import java.nio.file.StandardOpenOption;
                public class LockHolder {
                    public static void main(String[] args) throws Exception {
                        try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
                            channel.lock();
                            System.out.println("locked");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, source.toString(), file.toString()).redirectErrorStream(true).start();
        String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).as("the lock holder started").isEqualTo("locked");
        return p;
    }
}
