package dev.ferry.report;

/**
 * The report arrived, but the spool disk could not take it (full, over quota, unwritable). Not the report server's
 * fault: never retried in a loop (each attempt would render the report again) and not counted against the report
 * server by the circuit breaker (see ReportSpool#holdFailure). The run fails saying so; the next trigger loads the window again.
 */
public class ReportSpoolException extends RuntimeException {
    public ReportSpoolException(String message, Throwable cause) {
        super(message, cause);
    }
}
