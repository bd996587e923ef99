package dev.ferry.report;

import dev.ferry.Pipeline;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.sql.RunStateRepository;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import org.apache.camel.Exchange;

import java.sql.SQLException;

/**
 * Opens and closes the run of one window in both ledgers: the in-process {@link Runs} (metrics, summary line) and
 * the run-state table (the run record and the watermark). Only a run that balances
 * (read = inserted + duplicate + rejected) ends SUCCEEDED and moves the watermark.
 */
public final class ReportRunRecorder {

    public static final String WINDOW_PROPERTY = "reportWindow";
    static final String NOT_LEADING = "this replica no longer leads report-to-sql; the replica that does loads the"
            + " window again from the watermark";

    private final Runs runs;
    private final RunStateRepository runState;
    private final String reportKey;
    private final ReportRequestPacer requests;
    private volatile java.util.function.BooleanSupplier leading = () -> true;

    /** @param requests how the report server's latest requests ended, for the reason of a run the open breaker failed */
    public ReportRunRecorder(Runs runs, RunStateRepository runState, String reportKey, ReportRequestPacer requests) {
        this.runs = runs;
        this.runState = runState;
        this.reportKey = reportKey;
        this.requests = requests;
    }

    /** Whether this replica leads report-to-sql now; without an election it always does. */
    public void whileLeading(java.util.function.BooleanSupplier leading) {
        this.leading = leading;
    }

    /**
     * Body: the {@link ReportWindow}. Sets the run and window properties. A window begun after this replica stopped
     * leading (the next one of a catch-up that was under way) is stopped at once, before its request: it fails and
     * ends the catch-up, and the leader loads it.
     */
    public void begin(Exchange exchange) throws SQLException {
        ReportWindow window = exchange.getMessage().getBody(ReportWindow.class);
        RunAccount run = runs.begin(Pipeline.REPORT_TO_SQL.id(), reportKey + " " + window);
        if (!leading.getAsBoolean()) {
            run.stop(NOT_LEADING);
        }
        exchange.setProperty(RetryCounter.RUN_PROPERTY, run);
        exchange.setProperty(WINDOW_PROPERTY, window);
        try {
            runState.begin(run, reportKey, window.from(), window.to());
        } catch (SQLException e) {
            runs.fail(run, "could not record the run: " + e.getMessage());
            throw e;
        }
    }

    public void succeeded(Exchange exchange) throws SQLException {
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        runs.finish(run);
        if (run.status() == RunAccount.Status.SUCCEEDED) {
            runState.end(run, RunStateRepository.Status.SUCCEEDED, null);
        } else {
            runState.end(run, RunStateRepository.Status.FAILED, run.failure());
            throw new ReportRunFailedException("run " + run.runId() + " failed: " + run.failure(), null);
        }
    }

    /**
     * Asks every report-to-sql run in flight on this replica to stop at its next check: before its request is sent,
     * between two chunks of the report it spools (the connection is dropped, not read to its end), before its next
     * batch is loaded, and at its end, where it cannot succeed. Called the moment this replica stops leading
     * report-to-sql: the new leader loads the window again from the watermark, which this run no longer moves.
     */
    public int stopRunning() {
        int stopped = 0;
        for (RunAccount run : runs.active()) {
            if (run.pipeline().equals(Pipeline.REPORT_TO_SQL.id())) {
                run.stop(NOT_LEADING);
                stopped++;
            }
        }
        requests.wakeUp();
        return stopped;
    }

    /** In the window route's doCatch: records why, then throws to stop the catch-up. */
    public void failed(Exchange exchange) {
        RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (cause == null) {
            cause = exchange.getException();
        }
        if (cause instanceof ReportRunFailedException) {
            throw (ReportRunFailedException) cause; // recorded already (an unbalanced run)
        }
        String reason = cause == null ? "unknown failure" : reason(cause);
        if (run != null && run.status() == RunAccount.Status.RUNNING) {
            runs.fail(run, reason);
            try {
                runState.end(run, RunStateRepository.Status.FAILED, reason);
            } catch (SQLException e) {
                reason = reason + " (and the run record could not be updated: " + e.getMessage() + ")";
            }
        }
        throw new ReportRunFailedException("window " + exchange.getProperty(WINDOW_PROPERTY) + " failed, the watermark"
                + " stays: " + reason, null);
    }

    /**
     * Why the run failed. The open circuit breaker's own exception says only that it is open: the reason names the
     * report server and how the requests that opened it failed.
     */
    String reason(Throwable cause) {
        CallNotPermittedException open = find(cause, CallNotPermittedException.class);
        if (open == null) {
            String reason = describe(cause);
            // what the report server sent, checked after the call: say which server
            return find(cause, ReportContentException.class) != null && !reason.contains(requests.server())
                    ? "report server " + requests.server() + ": " + reason : reason;
        }
        String history = requests.failureHistory();
        return "the circuit breaker in front of the report server " + requests.server() + " is open, no request was sent"
                + (history == null ? "" : " (" + history + ")") + " <- " + describe(open);
    }

    /** The exception's own words, plus the causes that explain it; no URI user info (there is none: see ReportHttpAuth). */
    static String describe(Throwable t) {
        while (t instanceof org.apache.camel.RuntimeCamelException && t.getCause() != null) {
            t = t.getCause(); // the circuit breaker's wrapper says nothing of its own
        }
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName()).append(": ").append(message(t));
        Throwable c = t.getCause();
        for (int i = 0; c != null && c != t && i < 3; i++, c = c.getCause()) {
            if (t.getMessage() != null && c.getMessage() != null && t.getMessage().endsWith(c.getMessage())) {
                continue; // a wrapper that repeats its cause's words
            }
            sb.append(" <- ").append(c.getClass().getSimpleName()).append(": ").append(message(c));
        }
        return sb.toString();
    }

    /** The exception's message, or what it is when it has none (never "null"). */
    static String message(Throwable t) {
        String m = t.getMessage();
        if (m != null && !m.isBlank()) {
            return m;
        }
        Throwable c = t.getCause();
        return c != null && c != t && c.getMessage() != null ? c.getClass().getSimpleName() + ": " + c.getMessage()
                : "(" + t.getClass().getName() + ", no message)";
    }

    private static <T extends Throwable> T find(Throwable t, Class<T> type) {
        for (int i = 0; t != null && i < 10; i++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
