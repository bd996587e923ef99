package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.examples.ExampleRoutes;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Map;

import static dev.ferry.report.ReportToSqlFixture.START;
import static dev.ferry.report.ReportToSqlFixture.awaitRuns;
import static dev.ferry.report.ReportToSqlFixture.count;
import static dev.ferry.report.ReportToSqlFixture.h2Url;
import static dev.ferry.report.ReportToSqlFixture.ntlmServer;
import static dev.ferry.report.ReportToSqlFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cookbook's report-to-sql recipes (examples/), applied as their READMEs say, against the embedded report server
 * (NTLM) and H2 in SQL Server mode: rows in the table, the run's accounting and its run record.
 */
class ReportToSqlExamplesTest {

    private static final LocalDateTime UNTIL = START.plusHours(1); // one window: 4 plants x 100 rows

    @TempDir
    Path routes;

    @Test
    void skipOnePlant() throws Exception {
        String db = h2Url();
        RunAccount run = load("skip-one-plant", db);
        assertThat(run.read()).isEqualTo(400);
        assertThat(run.filtered()).isEqualTo(100);
        assertThat(run.written()).isEqualTo(300);
        assertThat(count(db, "SELECT COUNT(*) FROM report_tracking WHERE plant = 'C'")).isZero();
        assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isEqualTo(300);
        assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED' AND rows_read = 400"
                + " AND rows_inserted = 300 AND rows_filtered = 100 AND rows_duplicate = 0 AND rows_rejected = 0")).isEqualTo(1);
    }

    @Test
    void derivedColumn() throws Exception {
        String db = h2Url();
        RunAccount run = load("derived-column", db);
        assertThat(run.written()).isEqualTo(400);
        assertThat(count(db, "SELECT COUNT(*) FROM report_tracking WHERE plant_line = CONCAT(plant, '-', line_no)"
                + " OR (line_no IS NULL AND plant_line = CONCAT(plant, '-none'))")).isEqualTo(400);
        assertThat(count(db, "SELECT COUNT(DISTINCT plant_line) FROM report_tracking")).isGreaterThan(4);
    }

    /** Applies the example, loads one window and returns its run, which must have succeeded and balanced. */
    private RunAccount load(String example, String db) throws Exception {
        ExampleRoutes applied = ExampleRoutes.apply(example, routes);
        assertThat(applied.replaced()).containsExactly("route:report-to-sql-transform");
        try (ReportServer server = ntlmServer(100)) {
            Map<String, String> overrides = settings(server, db, UNTIL, 1);
            overrides.putAll(applied.settings());
            try (FerryUnderTest ferry = FerryUnderTest.start(overrides)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.filtered() + run.deadLettered());
                return run;
            }
        }
    }
}
