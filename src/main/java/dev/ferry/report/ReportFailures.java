package dev.ferry.report;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;

/**
 * Which failures are the client's side and will not improve by asking again: 4xx except 429 (a 401 above all:
 * repeated bad logins lock the account), and a TLS handshake failure, which it explains. Looks through the cause
 * chain, because the circuit breaker wraps what the HTTP call threw.
 */
public final class ReportFailures {

    private final String server;
    private final String truststore;

    /**
     * @param baseUrl    the report server's URL ({@code ferry.report-to-sql.base-url}), for the host it names
     * @param truststore the configured trust store file, or null for the JVM's default trust
     */
    public ReportFailures(String baseUrl, String truststore) {
        this.server = ReportRequestPacer.hostAndPort(baseUrl);
        this.truststore = truststore;
    }

    public boolean isClientError(Exchange exchange) {
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (t == null) {
            t = exchange.getException();
        }
        for (int i = 0; t != null && i < 10; i++, t = t.getCause()) {
            if (t instanceof HttpOperationFailedException http) {
                int status = http.getStatusCode();
                return status >= 400 && status < 500 && status != 429;
            }
        }
        return false;
    }

    /** In the call's doCatch for {@code SSLHandshakeException}: throws it again as a {@link ReportTlsException} that says what to fix. */
    public void tlsHandshakeFailed(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        throw new ReportTlsException(explainHandshake(caught), caught);
    }

    String explainHandshake(Throwable caught) {
        if (!isCertificateProblem(caught)) {
            return "the TLS handshake with the report server " + server + " failed (not retried)";
        }
        String trust = truststore == null
                ? "the JVM's default trust store: set ferry.report-to-sql.truststore to a PKCS12 store holding the"
                  + " server's certificate or its CA (and ferry.report-to-sql.truststore-password)"
                : "the trust store ferry.report-to-sql.truststore = " + truststore
                  + ": add the server's certificate or its CA to it";
        return "the report server " + server + " presented a certificate that is not trusted by " + trust
                + " (not retried)";
    }

    private static boolean isCertificateProblem(Throwable t) {
        for (int i = 0; t != null && i < 10; i++, t = t.getCause()) {
            if (t instanceof CertificateException || t instanceof CertPathBuilderException) {
                return true;
            }
        }
        return false;
    }
}
