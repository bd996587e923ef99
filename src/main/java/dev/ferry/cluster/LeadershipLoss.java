package dev.ferry.cluster;

import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.cluster.CamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a pipeline does the moment this replica stops leading it while it lives on (a Kubernetes leader whose readiness
 * failed, a lock it could no longer confirm): work begun as the leader is stopped at once, before another replica,
 * now leading, takes it up from the recorded state. Camel's route policy only stops the singleton routes, and waits
 * for their work in flight (a whole dump) up to the shutdown timeout; without this the old and the new leader could
 * write the same dump at once. Bound as {@code <pipeline>-leadership-loss}; on one process it never fires.
 */
public final class LeadershipLoss implements CamelClusterEventListener.Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(LeadershipLoss.class);

    private final String pipeline;
    private final List<Runnable> actions = new CopyOnWriteArrayList<>();
    private final AtomicBoolean leads = new AtomicBoolean();

    /** @param leadsFromStart true on one process (no election: it always leads), false until an election says so */
    LeadershipLoss(String pipeline, boolean leadsFromStart) {
        this.pipeline = pipeline;
        this.leads.set(leadsFromStart);
    }

    /** Whether this replica leads the pipeline now (always, without a cluster service). */
    public boolean leads() {
        return leads.get();
    }

    /** The registry name of a pipeline's instance. */
    public static String beanName(String pipeline) {
        return pipeline + "-leadership-loss";
    }

    /** Runs {@code action} each time this replica stops leading the pipeline (on the election's thread: be quick). */
    public void onLoss(Runnable action) {
        actions.add(action);
    }

    @Override
    public void leadershipChanged(CamelClusterView view, CamelClusterMember leader) {
        boolean now = leader != null && leader.isLocal();
        if (leads.getAndSet(now) && !now) {
            LOG.warn("{}: this replica no longer leads: stopping the work it began as the leader", pipeline);
            for (Runnable action : actions) {
                try {
                    action.run();
                } catch (RuntimeException e) {
                    LOG.error("{}: stopping the leader's work failed: {}", pipeline, e.toString(), e);
                }
            }
        }
    }
}
