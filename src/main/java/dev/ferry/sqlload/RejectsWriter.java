package dev.ferry.sqlload;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/**
 * Writes rejected rows (run id, line number, raw line, reason, stage) on the batch's own connection, so a batch and
 * its rejects are committed together: a row is never both lost and unrecorded.
 */
public final class RejectsWriter {

    static final int MAX_REASON = 4000;

    private final String sql;

    public RejectsWriter(String rejectsTable) {
        this.sql = "INSERT INTO " + rejectsTable + " (run_id, line_number, raw_line, reason, stage) VALUES (?, ?, ?, ?, ?)";
    }

    public void write(Connection c, String runId, List<LoadBatch.Reject> rejects) throws SQLException {
        if (rejects.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (LoadBatch.Reject r : rejects) {
                ps.setString(1, runId);
                ps.setLong(2, r.line());
                ps.setString(3, r.rawLine());
                ps.setString(4, r.reason().length() <= MAX_REASON ? r.reason() : r.reason().substring(0, MAX_REASON));
                ps.setString(5, r.stage());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
