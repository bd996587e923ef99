package dev.ferry.report;

import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;

/**
 * Copies the rendered report from the HTTP connection to a file while still inside the circuit breaker, then hands
 * the route a stream over that file. Why: the HTTP response is closed when the circuit breaker's call completes, and
 * the report server's connection should not stay open while the database absorbs a million rows. Memory stays
 * bounded (a 64 KB copy buffer); disk holds one report at a time.
 *
 * <p>No spool file outlives its run: a failed copy deletes its own file at once (a retried call would otherwise
 * leave the earlier attempt's file behind: the circuit breaker runs the call on a copy of the exchange, whose
 * properties are lost when it fails), and {@link #delete} removes the run's file whatever the outcome. Files of a
 * process killed mid-run are removed at the next start ({@link #removeLeftovers}): each file is named
 * {@value #PREFIX}*{@value #SUFFIX} and held under an exclusive lock while its run uses it, so a file that is not
 * locked and older than this process belongs to a dead process, even when several Ferry processes share the directory.
 *
 * <p>A connection that breaks mid-body is a cut-off body (not retried: the next trigger loads the window); a disk
 * that cannot take the report (full, over quota) is said to be so, naming the file and the bytes written, and is
 * held past the circuit breaker ({@link #holdFailure}), which is there for the report server's failures.
 */
public final class ReportSpool {

    public static final String FILE_PROPERTY = "reportSpoolFile";
    static final String FAILURE_PROPERTY = "reportSpoolFailure";
    static final String PREFIX = "ferry-report-spool-";
    static final String SUFFIX = ".csv";

    private static final Logger LOG = LoggerFactory.getLogger(ReportSpool.class);

    private final Path directory;
    private final String server;
    private final Instant startedAt = Instant.now();

    /**
     * @param directory where reports are spooled ({@code ferry.report-to-sql.spool-dir})
     * @param server    the report server's host:port, for messages
     */
    public ReportSpool(Path directory, String server) {
        this.directory = directory;
        this.server = server;
    }

    public Path directory() {
        return directory;
    }

    public InputStream spool(Exchange exchange) throws IOException {
        InputStream body = exchange.getMessage().getBody(InputStream.class);
        if (body == null) {
            return null;
        }
        delete(exchange); // an earlier attempt's file, if this exchange still knows it
        Files.createDirectories(directory);
        SpoolFile spool = SpoolFile.create(directory);
        exchange.setProperty(FILE_PROPERTY, spool);
        long copied = 0;
        boolean complete = false;
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        try (InputStream in = body) {
            OutputStream out = Channels.newOutputStream(spool.channel);
            byte[] buffer = new byte[64 * 1024];
            while (true) {
                if (run != null && run.stopReason() != null) {
                    abort(in); // closing would read the rest of the report first
                    ReportStoppingException.throwIfStopped(run, "the report from " + server
                            + " was dropped after " + copied + " bytes");
                }
                int n;
                try {
                    n = in.read(buffer);
                } catch (SocketTimeoutException e) {
                    throw e; // a stalled server: transient, retried with backoff
                } catch (IOException e) {
                    throw new ReportContentException("the report body from " + server + " ended abruptly after "
                            + copied + " bytes: " + ReportRunRecorder.message(e), e);
                }
                if (n < 0) {
                    break;
                }
                try {
                    out.write(buffer, 0, n);
                } catch (IOException e) {
                    throw writeFailed(spool.path, copied, e);
                }
                copied += n;
            }
            complete = true;
        } finally {
            if (!complete) {
                spool.close();
                exchange.removeProperty(FILE_PROPERTY);
            }
        }
        spool.reader = new BufferedInputStream(Files.newInputStream(spool.path), 64 * 1024);
        return spool.reader;
    }

    /**
     * Drops the connection under the body instead of reading it to its end, as closing Apache HttpClient's body stream
     * does; any other stream is closed.
     */
    private static void abort(InputStream in) throws IOException {
        if (in instanceof org.apache.hc.core5.http.io.EofSensorInputStream connection) {
            connection.abort();
        }
    }

    /**
     * In the call's doCatch: keeps a {@link ReportSpoolException} aside, so the circuit breaker sees the call succeed
     * (the report server did its part) and {@link #throwHeldFailure} fails the run after it.
     */
    public void holdFailure(Exchange exchange) {
        exchange.setProperty(FAILURE_PROPERTY, exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class));
    }

    public void throwHeldFailure(Exchange exchange) throws Exception {
        Exception held = exchange.getProperty(FAILURE_PROPERTY, Exception.class);
        if (held != null) {
            exchange.removeProperty(FAILURE_PROPERTY);
            throw held;
        }
    }

    /** Deletes the run's spool file, whatever the outcome (the window route's doFinally). */
    public void delete(Exchange exchange) {
        SpoolFile spool = exchange.getProperty(FILE_PROPERTY, SpoolFile.class);
        if (spool != null) {
            exchange.removeProperty(FILE_PROPERTY);
            spool.close();
        }
    }

    /**
     * Removes spool files that earlier processes left behind (killed with SIGKILL, power loss): Ferry's own names
     * only, not locked by any process, and last written before this process started. Returns how many.
     */
    public int removeLeftovers() {
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX)) {
            for (Path file : files) {
                if (removeIfLeftover(file)) {
                    removed++;
                }
            }
        } catch (IOException e) {
            LOG.warn("report-to-sql: could not list the spool directory {} for files left by stopped runs: {}",
                    directory, ReportRunRecorder.message(e));
        }
        if (removed > 0) {
            LOG.warn("report-to-sql: removed {} spool file(s) of runs stopped before they ended from {}", removed, directory);
        }
        return removed;
    }

    private boolean removeIfLeftover(Path file) {
        try {
            if (!Files.isRegularFile(file) || !Files.getLastModifiedTime(file).toInstant().isBefore(startedAt)) {
                return false; // a file of a process that started after this one may still be about to lock it
            }
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                FileLock lock;
                try {
                    lock = channel.tryLock();
                } catch (OverlappingFileLockException e) {
                    return false; // a run of this process uses it
                }
                if (lock == null) {
                    return false; // another process's run uses it
                }
                try {
                    Files.delete(file);
                    return true;
                } finally {
                    lock.release();
                }
            }
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            LOG.warn("report-to-sql: could not remove the spool file {} left by a stopped run: {}", file,
                    ReportRunRecorder.message(e));
            return false;
        }
    }

    private ReportSpoolException writeFailed(Path file, long written, IOException e) {
        String reason = ReportRunRecorder.message(e);
        String free;
        try {
            free = Files.getFileStore(directory).getUsableSpace() + " bytes free";
        } catch (IOException | RuntimeException ignored) {
            free = "free space unknown";
        }
        String lower = reason.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left") || lower.contains("quota exceeded") || lower.contains("not enough space")) {
            return new ReportSpoolException("the spool disk is full: writing the report from " + server + " to " + file
                    + " failed after " + written + " bytes (" + reason + "; " + free + " in " + directory
                    + "). Free space there or set ferry.report-to-sql.spool-dir to a larger disk; the window loads"
                    + " again on the next trigger", e);
        }
        return new ReportSpoolException("could not write the report from " + server + " to the spool file " + file
                + " after " + written + " bytes (" + reason + "; " + free + " in " + directory + ")", e);
    }

    /** A spool file, locked while its run uses it; closing it deletes it. */
    private static final class SpoolFile implements Closeable {
        final Path path;
        final FileChannel channel;
        InputStream reader;

        private SpoolFile(Path path, FileChannel channel) {
            this.path = path;
            this.channel = channel;
        }

        static SpoolFile create(Path directory) throws IOException {
            Path path = directory.resolve(PREFIX + UUID.randomUUID() + SUFFIX);
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                channel.lock(); // released when the channel closes, or by the OS when the process dies
                return new SpoolFile(path, channel);
            } catch (IOException | RuntimeException e) {
                channel.close();
                Files.deleteIfExists(path);
                throw e;
            }
        }

        @Override
        public void close() {
            try {
                if (reader != null) {
                    reader.close();
                }
            } catch (IOException ignored) {
                // the file goes anyway
            }
            try {
                Files.deleteIfExists(path); // while still locked, so no other process's start-up races for it
            } catch (IOException e) {
                LOG.warn("report-to-sql: could not delete the spool file {}: {}", path, ReportRunRecorder.message(e));
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // closing releases the lock; nothing left to do
            }
        }
    }
}
