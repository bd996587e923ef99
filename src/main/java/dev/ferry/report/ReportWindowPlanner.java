package dev.ferry.report;

import dev.ferry.sql.Migrations;
import dev.ferry.sql.RunStateRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides which windows a trigger loads: from the persisted watermark (end of the last successful window, else the
 * configured start) in steps of {@code window-hours}, each re-reading {@code overlap-hours} before it, only whole
 * hours that are over, oldest first, at most {@code max-catch-up-windows} per trigger. After downtime the backlog is
 * worked off in bounded windows over several triggers. The first call also migrates the tables (so Ferry starts
 * while the database is down) and marks runs left RUNNING by a killed process as ABANDONED.
 */
public final class ReportWindowPlanner {

    private static final Logger LOG = LoggerFactory.getLogger(ReportWindowPlanner.class);

    private final ReportToSqlSettings settings;
    private final DataSource dataSource;
    private final RunStateRepository runState;
    private final Clock clock;
    private volatile boolean prepared;

    public ReportWindowPlanner(ReportToSqlSettings settings, DataSource dataSource, RunStateRepository runState, Clock clock) {
        this.settings = settings;
        this.dataSource = dataSource;
        this.runState = runState;
        this.clock = clock;
    }

    public synchronized List<ReportWindow> plan() throws SQLException {
        prepare();
        LocalDateTime start = settings.start();
        LocalDateTime watermark = runState.watermark(settings.reportKey()).orElse(start);
        LocalDateTime limit = LocalDateTime.now(clock.withZone(settings.timeZone())).truncatedTo(ChronoUnit.HOURS);
        if (settings.until() != null && settings.until().isBefore(limit)) {
            limit = settings.until();
        }
        List<ReportWindow> windows = new ArrayList<>();
        LocalDateTime end = watermark.plusHours(settings.windowHours());
        while (!end.isAfter(limit) && windows.size() < settings.maxCatchUpWindows()) {
            LocalDateTime from = end.minusHours(settings.windowHours() + settings.overlapHours());
            windows.add(new ReportWindow(from.isBefore(start) ? start : from, end));
            end = end.plusHours(settings.windowHours());
        }
        LOG.info("report-to-sql watermark {}: {} window(s) due {}", watermark, windows.size(), windows);
        return windows;
    }

    private void prepare() throws SQLException {
        if (!prepared) {
            String vendor = Migrations.migrate(dataSource, settings.migrations(), Map.of(
                    "target_table", settings.targetTable(), "rejects_table", settings.rejectsTable(),
                    "run_table", settings.runTable()));
            Migrations.requireBinaryHash(dataSource, settings.targetTable());
            int abandoned = runState.abandonUnfinished(settings.reportKey(), settings.targetTable(),
                    settings.rejectsTable());
            if (abandoned > 0) {
                LOG.warn("report-to-sql: {} run(s) left RUNNING by a stopped process marked ABANDONED with the rows they had committed; their windows load again", abandoned);
            }
            LOG.info("report-to-sql tables ready ({} migrations)", vendor);
            prepared = true;
        }
    }
}
