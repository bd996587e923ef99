package dev.ferry.report;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;

import java.io.InputStream;
import java.util.List;

/** Opens the HTTP body as validated report rows; the route's "parse" step. */
public final class ReportCsv {

    private final List<String> expectedHeader;

    public ReportCsv(List<String> expectedHeader) {
        this.expectedHeader = expectedHeader;
    }

    public ReportRows open(InputStream body, @Header("Content-Type") String contentType,
                           @ExchangeProperty(RetryCounter.RUN_PROPERTY) RunAccount run) {
        return ReportRows.open(body, contentType, expectedHeader, run);
    }
}
