package dev.ferry.sql;

import dev.ferry.accounting.RunAccount;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The run-state table: one row per run (report, window, start, end, rows read / inserted / duplicate / rejected,
 * status, error). The watermark is derived from it: the end of the latest SUCCEEDED window of the report. A run
 * that fails, or a process that dies mid-run, therefore never advances it.
 */
public final class RunStateRepository {

    public enum Status { RUNNING, SUCCEEDED, FAILED, ABANDONED }

    /** One row of the table, as tests and operators read it. */
    public record RunRecord(String runId, String report, LocalDateTime windowStart, LocalDateTime windowEnd,
                            LocalDateTime startedAt, LocalDateTime endedAt, long read, long inserted, long duplicate,
                            long filtered, long rejected, Status status, String error) {
    }

    private static final int MAX_ERROR = 4000;

    private final DataSource dataSource;
    private final String table;
    private final Clock clock;

    public RunStateRepository(DataSource dataSource, String table, Clock clock) {
        this.dataSource = dataSource;
        this.table = table;
        this.clock = clock;
    }

    public void begin(RunAccount run, String report, LocalDateTime windowStart, LocalDateTime windowEnd) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (run_id, report, window_start, window_end,"
                     + " started_at, rows_read, rows_inserted, rows_duplicate, rows_filtered, rows_rejected, status)"
                     + " VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, ?)")) {
            ps.setString(1, run.runId());
            ps.setString(2, report);
            ps.setObject(3, windowStart);
            ps.setObject(4, windowEnd);
            ps.setObject(5, now());
            ps.setString(6, Status.RUNNING.name());
            ps.executeUpdate();
        }
    }

    public void end(RunAccount run, Status status, String error) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET ended_at = ?, rows_read = ?,"
                     + " rows_inserted = ?, rows_duplicate = ?, rows_filtered = ?, rows_rejected = ?, status = ?, error = ?"
                     + " WHERE run_id = ?")) {
            ps.setObject(1, now());
            ps.setLong(2, run.read());
            ps.setLong(3, run.written());
            ps.setLong(4, run.duplicate());
            ps.setLong(5, run.filtered());
            ps.setLong(6, run.deadLettered());
            ps.setString(7, status.name());
            ps.setString(8, error == null ? null : error.length() <= MAX_ERROR ? error : error.substring(0, MAX_ERROR));
            ps.setString(9, run.runId());
            ps.executeUpdate();
        }
    }

    /** The end of the latest successful window of this report; empty before the first success. */
    public Optional<LocalDateTime> watermark(String report) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT MAX(window_end) FROM " + table
                     + " WHERE report = ? AND status = ?")) {
            ps.setString(1, report);
            ps.setString(2, Status.SUCCEEDED.name());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Optional.ofNullable(rs.getObject(1, LocalDateTime.class));
            }
        }
    }

    /**
     * Runs still RUNNING when this process starts were cut short (killed, power loss): they are marked ABANDONED.
     * Their record then counts what they committed: the rows in the target and rejects tables that carry their run
     * id (each batch commits its rows with the run id in one transaction, so the count is exact); rows_read is that
     * sum, as duplicates and rows read but not yet committed are not known. It costs a scan of the target table per
     * abandoned run (its run_id has no index), once, at the start after a crash.
     * Only one Ferry process may run this pipeline against a table (run it under camel-master for failover).
     */
    public int abandonUnfinished(String report, String targetTable, String rejectsTable) throws SQLException {
        List<String> unfinished = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT run_id FROM " + table + " WHERE report = ? AND status = ?")) {
            ps.setString(1, report);
            ps.setString(2, Status.RUNNING.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    unfinished.add(rs.getString(1));
                }
            }
        }
        int abandoned = 0;
        for (String runId : unfinished) {
            try (Connection c = dataSource.getConnection()) {
                long inserted = countByRun(c, targetTable, runId);
                long rejected = countByRun(c, rejectsTable, runId);
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET status = ?, ended_at = ?,"
                        + " rows_read = ?, rows_inserted = ?, rows_duplicate = 0, rows_rejected = ?, error = ?"
                        + " WHERE run_id = ? AND status = ?")) {
                    ps.setString(1, Status.ABANDONED.name());
                    ps.setObject(2, now());
                    ps.setLong(3, inserted + rejected);
                    ps.setLong(4, inserted);
                    ps.setLong(5, rejected);
                    ps.setString(6, "the process stopped during this run; its window is loaded again (rows already"
                            + " written count as duplicates). It had committed " + inserted + " inserted and " + rejected
                            + " rejected rows (rows_read counts only those)");
                    ps.setString(7, runId);
                    ps.setString(8, Status.RUNNING.name());
                    abandoned += ps.executeUpdate();
                }
            }
        }
        return abandoned;
    }

    private static long countByRun(Connection c, String table, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE run_id = ?")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    public Optional<RunRecord> find(String runId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT run_id, report, window_start, window_end, started_at,"
                     + " ended_at, rows_read, rows_inserted, rows_duplicate, rows_filtered, rows_rejected, status, error FROM " + table
                     + " WHERE run_id = ?")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new RunRecord(rs.getString(1).trim(), rs.getString(2),
                        rs.getObject(3, LocalDateTime.class), rs.getObject(4, LocalDateTime.class),
                        rs.getObject(5, LocalDateTime.class), rs.getObject(6, LocalDateTime.class), rs.getLong(7),
                        rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11), Status.valueOf(rs.getString(12).trim()),
                        rs.getString(13)));
            }
        }
    }

    private LocalDateTime now() {
        return LocalDateTime.now(clock.withZone(ZoneOffset.UTC));
    }
}
