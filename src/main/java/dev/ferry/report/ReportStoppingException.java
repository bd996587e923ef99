package dev.ferry.report;

/**
 * Ferry began to stop while a request waited for its turn: the request is not sent and the window's run fails with
 * this reason (never retried, never a success); the watermark stays, so the window is loaded again at the next start.
 */
public class ReportStoppingException extends RuntimeException {
    public ReportStoppingException(String message) {
        super(message, null, false, false);
    }
}
