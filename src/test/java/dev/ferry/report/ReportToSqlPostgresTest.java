package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.PostgresServer;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.embedded.report.ReportServer.Defect;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The same pipeline into a real PostgreSQL (the embedded harness), with the PostgreSQL migrations. */
class ReportToSqlPostgresTest {

    @Test
    void aHundredThousandRowReportLoadsExactlyIntoPostgresqlWithRejectsAndThenOnlyDuplicates() throws Exception {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        String db = pg.createDatabase("rts_" + Long.toHexString(System.nanoTime())); // returns its JDBC URL
        LocalDateTime until = START.plusHours(25);
        try (ReportServer server = ntlmServer(1000)) {
            server.behaviour().defect(7, Defect.BAD_DATE).defect(70_000, Defect.OVERLONG_NOTES);
            Map<String, String> settings = settings(server, db, until, 25);
            settings.put("ferry.db.user", pg.user());
            settings.put("ferry.db.password", pg.password());
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(100_000);
                assertThat(run.written()).isEqualTo(99_998);
                assertThat(run.deadLettered()).isEqualTo(2);
            }
            Map<String, java.util.List<String>> expected = expected(server, START, until);
            Map<String, java.util.List<String>> actual = actual(db, "report_tracking");
            assertThat(actual).hasSize(99_998);
            actual.forEach((id, values) -> assertThat(values).isEqualTo(expected.get(id)));
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_rejects")).isEqualTo(2);

            try (var c = connect(db)) {
                c.createStatement().executeUpdate("DELETE FROM report_to_sql_runs");
            }
            server.behaviour().clearDefects();
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.written()).isEqualTo(2); // the two rows rejected before, now valid
                assertThat(run.duplicate()).isEqualTo(99_998);
            }
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(100_000);
        }
    }
}
