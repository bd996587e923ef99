package dev.ferry.report;

/**
 * The report server answered, but not with the expected CSV (an HTML error or login page served with 200, an empty
 * body, a different header, a body cut off mid-row). Never retried in a loop: the run fails with what was received,
 * and the watermark stays where it was.
 */
public class ReportContentException extends RuntimeException {
    public ReportContentException(String message) {
        super(message);
    }

    public ReportContentException(String message, Throwable cause) {
        super(message, cause);
    }
}
