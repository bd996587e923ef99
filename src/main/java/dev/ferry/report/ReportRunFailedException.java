package dev.ferry.report;

/** A window's run failed and was recorded; catch-up stops so that no later window overtakes it. */
public class ReportRunFailedException extends RuntimeException {
    public ReportRunFailedException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
