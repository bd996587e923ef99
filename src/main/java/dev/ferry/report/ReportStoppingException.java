package dev.ferry.report;

import dev.ferry.accounting.RunAccount;

/**
 * The window's run stops before its end for a reason that is not the report's or the database's: Ferry began to stop
 * while a request waited for its turn, or this replica stopped leading report-to-sql (another one now loads the
 * windows). The run fails with this reason (never retried, never a success); the watermark stays, so the window is
 * loaded again, at the next start or by the new leader.
 */
public class ReportStoppingException extends RuntimeException {
    public ReportStoppingException(String message) {
        super(message, null, false, false);
    }

    /** Throws when the run was asked to stop ({@link RunAccount#stop}), saying what was not done. */
    static void throwIfStopped(RunAccount run, String whatStops) {
        String reason = run == null ? null : run.stopReason();
        if (reason != null) {
            throw new ReportStoppingException(reason + ": " + whatStops);
        }
    }
}
