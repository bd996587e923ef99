package dev.ferry.cluster;

import dev.ferry.config.Setting;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Work that must never run twice at once when Ferry runs as several replicas (report-to-sql's trigger and its
 * watermark, the dump's schedule and request files, the bucket listing) runs on one elected replica per pipeline.
 * Each such route names its pipeline's policy, {@code routePolicy: <pipeline>-leader}: with
 * {@code ferry.cluster.service = none} (one process, the default) the policy does nothing and the route runs here; with
 * {@code file}, Camel's {@link FileLockClusterService} elects one replica per pipeline through a lock file in a shared
 * directory, and the route runs only on that replica. When the leader stops, another takes over at its next lock
 * attempt; when it dies (kill -9, a lost node), once its heartbeat is {@code stale-intervals} intervals old. The route
 * then starts there and resumes from the recorded state (the watermark, the dump's checkpoint), as after a restart.
 *
 * <p>Registered as a Camel service from Ferry's configuration class, because camel-main 4.17 configures no cluster
 * service from properties and looks for one before {@code camel.beans} or YAML beans exist.
 */
public final class Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    private static final String PREFIX = "ferry.cluster.";

    private Leadership() {
    }

    /** The bean name of a pipeline's policy, as routes name it in {@code routePolicy}. */
    public static String policyName(String pipeline) {
        return pipeline + "-leader";
    }

    /** The Camel cluster namespace (the lock file's name) of a pipeline. */
    static String namespace(String pipeline) {
        return "ferry-" + pipeline;
    }

    /**
     * Binds each pipeline's policy, and with a cluster service configured, adds it to the context; the gauge
     * {@code ferry_leader{pipeline}} says whether this replica leads (1) or follows (0), once the registry exists.
     */
    public static void install(CamelContext context, List<String> pipelines, Supplier<MeterRegistry> registry) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        String kind = Setting.required(pc, PREFIX + "service");
        if (kind.equals("none")) {
            for (String pipeline : pipelines) {
                context.getRegistry().bind(policyName(pipeline), new SingleProcess());
            }
            return;
        }
        CamelClusterService service = fileLock(pc);
        context.addService(service, true, true);
        for (String pipeline : pipelines) {
            ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(service, namespace(pipeline));
            context.getRegistry().bind(policyName(pipeline), policy);
        }
        context.addStartupListener((ctx, alreadyStarted) -> {
            if (alreadyStarted) {
                // called again whenever a route starts later, e.g. by the policy on this very view's event thread:
                // adding a listener there would wait for the view's lock held by that thread
                return;
            }
            for (String pipeline : pipelines) {
                CamelClusterView view = service.getView(namespace(pipeline));
                view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) -> LOG.info("{}: {}", pipeline,
                        leader != null && leader.isLocal()
                                ? "this replica now leads: its singleton routes start here"
                                : "this replica follows: its singleton routes run on the leader"));
                MeterRegistry meters = registry.get();
                if (meters != null) {
                    Gauge.builder("ferry_leader", view, vw -> vw.getLocalMember().isLeader() ? 1 : 0)
                            .description("1 while this replica leads the pipeline's singleton routes, else 0")
                            .tag("pipeline", pipeline).register(meters);
                }
            }
        });
    }

    private static CamelClusterService fileLock(PropertiesComponent pc) throws Exception {
        Path root = Path.of(Setting.required(pc, PREFIX + "file.root")).toAbsolutePath();
        long interval = Long.parseLong(Setting.required(pc, PREFIX + "file.interval-ms"));
        int stale = Integer.parseInt(Setting.required(pc, PREFIX + "file.stale-intervals"));
        Files.createDirectories(root);
        FileLockClusterService service = new FileLockClusterService();
        service.setId("ferry-cluster");
        service.setRoot(root.toString());
        service.setAcquireLockDelay(interval, TimeUnit.MILLISECONDS);
        service.setAcquireLockInterval(interval, TimeUnit.MILLISECONDS);
        service.setHeartbeatTimeoutMultiplier(stale);
        LOG.info("Leader election: lock files in {}, every {} ms; a stopped leader is replaced within about {} ms, a"
                + " dead one within about {} ms", root, interval, 2 * interval, (stale + 1) * interval);
        return service;
    }

    /** One process: every singleton route runs here, as it would without a policy. */
    static final class SingleProcess extends RoutePolicySupport {
        @Override
        public void onInit(Route route) {
            // nothing to elect
        }
    }
}
