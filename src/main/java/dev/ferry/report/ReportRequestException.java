package dev.ferry.report;

/**
 * A request to the report server got no answer: no connection, a connection that broke, or no response within the
 * read timeout. Transient: retried with backoff (and paced). Its message names the host and what happened.
 */
public class ReportRequestException extends RuntimeException {
    public ReportRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
