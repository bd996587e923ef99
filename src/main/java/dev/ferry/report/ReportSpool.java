package dev.ferry.report;

import org.apache.camel.Exchange;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Copies the rendered report from the HTTP connection to a temporary file while still inside the circuit breaker,
 * then hands the route a stream over that file. Why: the HTTP response is closed when the circuit breaker's call
 * completes, and the report server's connection should not stay open while the database absorbs a million rows.
 * Memory stays bounded (a 64 KB copy buffer); disk holds one report at a time; the file is deleted when the run ends.
 * A connection that breaks mid-body is reported as a cut-off body (not retried: the next trigger loads the window).
 */
public final class ReportSpool {

    public static final String FILE_PROPERTY = "reportSpoolFile";

    private final Path directory;

    public ReportSpool(Path directory) {
        this.directory = directory;
    }

    public InputStream spool(Exchange exchange) throws IOException {
        InputStream body = exchange.getMessage().getBody(InputStream.class);
        if (body == null) {
            return null;
        }
        Files.createDirectories(directory);
        Path file = Files.createTempFile(directory, "report-to-sql-", ".csv");
        exchange.setProperty(FILE_PROPERTY, file);
        long copied = 0;
        try (InputStream in = body; var out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
                copied += n;
            }
        } catch (java.net.SocketTimeoutException e) {
            throw e; // a stalled server: transient, retried with backoff
        } catch (IOException e) {
            throw new ReportContentException("the report body ended abruptly after " + copied + " bytes: " + e.getMessage(), e);
        }
        return new BufferedInputStream(Files.newInputStream(file), 64 * 1024);
    }

    /** Deletes the run's spool file, whatever the outcome. */
    public void delete(Exchange exchange) throws IOException {
        Path file = exchange.getProperty(FILE_PROPERTY, Path.class);
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }
}
