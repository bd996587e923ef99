package dev.ferry.report;

/**
 * The TLS handshake with the report server failed, most often because its certificate is not trusted by the
 * configured trust store. Never retried: asking again cannot fix trust, and each attempt still costs the report server
 * a connection. The run fails, saying which host and which trust store; the watermark stays.
 */
public class ReportTlsException extends RuntimeException {
    public ReportTlsException(String message, Throwable cause) {
        super(message, cause);
    }
}
