package dev.ferry.report;

import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;

/**
 * Which HTTP failures are the client's fault and will not improve by asking again: 4xx except 429 (a 401 above all:
 * repeated bad logins lock the account). Looks through the cause chain, because the circuit breaker wraps what the
 * HTTP call threw.
 */
public final class ReportFailures {

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
}
