package dev.ferry;

import dev.ferry.accounting.RunAccount;
import org.apache.camel.CamelContext;

/**
 * Ends a pipeline's one-shot run (a dump, a sync): exit code 0 when the run succeeded, 1 when it failed or there was
 * none; then Camel stops. Bound by each pipeline that has a one-shot mode, under its own name.
 */
public final class OneShotExit {

    private final ExitStatus exitStatus;
    private final CamelContext context;

    /** Uses the launcher's {@link ExitStatus} when it bound one (under {@code camel run} it did not: Camel just stops). */
    public OneShotExit(CamelContext context) {
        ExitStatus bound = context.getRegistry().lookupByNameAndType(ExitStatus.BEAN, ExitStatus.class);
        this.exitStatus = bound != null ? bound : new ExitStatus();
        this.context = context;
    }

    public void exit(RunAccount run) {
        boolean ok = run != null && run.status() == RunAccount.Status.SUCCEEDED;
        exitStatus.exit(ok ? 0 : 1, run == null ? "no run" : run.summary(), context);
    }
}
