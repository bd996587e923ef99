package dev.ferry;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.OptionalInt;

/**
 * The process exit code a one-shot run asks for (bound as {@code ferryExitStatus}): a route sets it and stops
 * Camel; {@link Ferry#run()} returns it, and the launcher exits with it (0 = the run succeeded, 1 = it failed).
 */
public final class ExitStatus {

    private static final Logger LOG = LoggerFactory.getLogger(ExitStatus.class);
    public static final String BEAN = "ferryExitStatus";

    private volatile Integer code;
    private volatile Runnable stopper;

    /** How to stop the whole application (Camel Main's completion); without one, the Camel context is stopped. */
    public void stopWith(Runnable stopper) {
        this.stopper = stopper;
    }

    public OptionalInt code() {
        Integer c = code;
        return c == null ? OptionalInt.empty() : OptionalInt.of(c);
    }

    /** Records the exit code and stops Camel from another thread (a route cannot wait for its own context to stop). */
    public void exit(int exitCode, String why, CamelContext context) {
        code = exitCode;
        LOG.info("one-shot run done ({}): stopping with exit code {}", why, exitCode);
        Thread stopThread = new Thread(() -> {
            try {
                Runnable s = this.stopper;
                if (s != null) {
                    s.run();
                } else {
                    context.stop();
                }
            } catch (RuntimeException e) {
                LOG.error("stopping after the one-shot run failed", e);
            }
        }, "ferry-one-shot-stop");
        stopThread.setDaemon(false);
        stopThread.start();
    }
}
