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
import org.apache.camel.component.timer.TimerEndpoint;
import org.apache.camel.component.kubernetes.KubernetesConfiguration;
import org.apache.camel.component.kubernetes.cluster.KubernetesClusterService;
import org.apache.camel.component.kubernetes.cluster.LeaseResourceType;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.RoutePolicy;
import org.apache.camel.support.RoutePolicySupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Work that must never run twice at once when Ferry runs as several replicas (report-to-sql's trigger and its
 * watermark, the dump's schedule and request files, the bucket listing) runs on one elected replica per pipeline.
 * Each such route names its pipeline's policy, {@code routePolicy: <pipeline>-leader}: with
 * {@code ferry.cluster.service = none} (one process, the default) the policy does nothing and the route runs here; with
 * {@code file}, Camel's {@link FileLockClusterService} elects one replica per pipeline through a lock file in a shared
 * directory, and the route runs only on that replica; with {@code kubernetes}, Camel's Kubernetes cluster service
 * does the same with one Lease per pipeline. When the leader stops, another takes over at its next lock attempt; when
 * it dies (kill -9, a lost node), once its heartbeat (its lease) is stale. The route
 * then starts there and resumes from the recorded state (the watermark, the dump's checkpoint), as after a restart.
 *
 * <p>Registered as a Camel service from Ferry's configuration class, because camel-main 4.17 configures no cluster
 * service from properties and looks for one before {@code camel.beans} or YAML beans exist.
 */
public final class Leadership {

    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);
    private static final String PREFIX = "ferry.cluster.";
    /**
     * The least delay before a singleton route's timer fires first. Camel 4.17's timer skips a tick that comes before
     * its consumer has finished starting; a route started with Ferry is safe (its timer is armed after the start), but
     * a singleton route starts later, when its replica becomes the leader, and with {@code delay: 0} its first tick was
     * lost about 1 start in 10 here: the new leader then waited a whole period (report-to-sql: 30 min) before its first
     * run. Any delay the starting thread does not stall through is enough; 100 ms leaves a wide margin.
     */
    public static final long MIN_FIRST_TICK_DELAY_MS = 100;

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
        Set<RoutePolicy> policies = Collections.newSetFromMap(new IdentityHashMap<>());
        // on one process too: a route valid here must stay valid on replicas
        context.addStartupListener((ctx, alreadyStarted) -> {
            if (!alreadyStarted) {
                requireTimersThatSurviveALateStart(ctx, policies);
            }
        });
        if (kind.equals("none")) {
            for (String pipeline : pipelines) {
                context.getRegistry().bind(LeadershipLoss.beanName(pipeline), new LeadershipLoss(pipeline, true)); // never fires
                SingleProcess policy = new SingleProcess();
                policies.add(policy);
                context.getRegistry().bind(policyName(pipeline), policy);
            }
            return;
        }
        CamelClusterService service = kind.equals("kubernetes") ? kubernetes(pc) : fileLock(pc);
        context.addService(service, true, true);
        for (String pipeline : pipelines) {
            // before the routes are built: the view calls its listeners in order, so this one acts before the
            // policy's, which waits for the stopped routes' work in flight
            LeadershipLoss loss = new LeadershipLoss(pipeline, false);
            service.getView(namespace(pipeline)).addEventListener(loss);
            context.getRegistry().bind(LeadershipLoss.beanName(pipeline), loss);
            ClusteredRoutePolicy policy = ClusteredRoutePolicy.forNamespace(service, namespace(pipeline));
            policies.add(policy);
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
                // the election may have been decided before this listener existed (the view starts with the routes,
                // this runs once they all have): say the state now, and each change after, each once
                AtomicReference<Boolean> said = new AtomicReference<>();
                Consumer<Boolean> say = leads -> {
                    if (!leads.equals(said.getAndSet(leads))) {
                        LOG.info("{}: {}", pipeline, leads ? "this replica now leads: its singleton routes start here"
                                : "this replica follows: its singleton routes run on the leader");
                    }
                };
                view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) ->
                        say.accept(leader != null && leader.isLocal()));
                view.getLeader().ifPresent(leader -> say.accept(leader.isLocal()));
                MeterRegistry meters = registry.get();
                if (meters != null) {
                    Gauge.builder("ferry_leader", view, vw -> vw.getLocalMember().isLeader() ? 1 : 0)
                            .description("1 while this replica leads the pipeline's singleton routes, else 0")
                            .tag("pipeline", pipeline).register(meters);
                }
            }
        });
    }

    /**
     * Fails the start when a singleton route (one under a {@code <pipeline>-leader} policy) is fed by a timer that
     * fires sooner than {@link #MIN_FIRST_TICK_DELAY_MS}: such a route could wait a whole period after a takeover.
     */
    static void requireTimersThatSurviveALateStart(CamelContext context, Set<RoutePolicy> policies) {
        for (Route route : context.getRoutes()) {
            boolean singleton = route.getRoutePolicyList().stream().anyMatch(policies::contains);
            if (singleton && route.getEndpoint() instanceof TimerEndpoint timer && timer.getDelay() < MIN_FIRST_TICK_DELAY_MS) {
                throw new IllegalStateException("Route " + route.getRouteId() + ": its timer (" + timer.getEndpointUri()
                        + ") fires first after " + timer.getDelay() + " ms; a singleton route's timer needs a delay of at least "
                        + MIN_FIRST_TICK_DELAY_MS + " ms, or the route may skip its first run when it starts on a new leader"
                        + " (Camel's timer drops a tick that comes before its route has finished starting)");
            }
        }
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

    /**
     * Camel's {@link KubernetesClusterService}: each pipeline's leader holds a Lease ({@code coordination.k8s.io/v1})
     * in the replicas' namespace, renewed every retry period; a replica takes it over once the holder's pod is no
     * longer running and ready. Only pods carrying the {@code pod-labels} take part (the Deployment's pods), each by
     * its pod name (its HOSTNAME unless set).
     */
    private static CamelClusterService kubernetes(PropertiesComponent pc) {
        String k = PREFIX + "kubernetes.";
        // The client's settings go in through a KubernetesConfiguration: with the no-argument constructor, Camel 4.17's
        // service ignores setMasterUrl and setNamespace (its doInit skips them when it creates the configuration)
        // and connects to the default client's cluster instead.
        KubernetesConfiguration client = new KubernetesConfiguration();
        String master = Setting.optional(pc, k + "master-url");
        if (master != null) {
            client.setMasterUrl(master);
        }
        String namespace = Setting.optional(pc, k + "namespace");
        if (namespace != null) {
            client.setNamespace(namespace);
        }
        KubernetesClusterService service = new KubernetesClusterService(client);
        service.setId("ferry-cluster");
        service.setLeaseResourceType(LeaseResourceType.Lease);
        service.setKubernetesResourceName(Setting.required(pc, k + "lease-name"));
        if (namespace != null) {
            service.setKubernetesNamespace(namespace);
        }
        String pod = Setting.optional(pc, k + "pod-name");
        if (pod != null) {
            service.setPodName(pod);
        }
        service.setClusterLabels(labels(Setting.required(pc, k + "pod-labels")));
        long lease = Long.parseLong(Setting.required(pc, k + "lease-duration-ms"));
        long renew = Long.parseLong(Setting.required(pc, k + "renew-deadline-ms"));
        long retry = Long.parseLong(Setting.required(pc, k + "retry-period-ms"));
        service.setLeaseDurationMillis(lease);
        service.setRenewDeadlineMillis(renew);
        service.setRetryPeriodMillis(retry);
        LOG.info("Leader election: Kubernetes Leases {}-<pipeline> in {}, among the running, ready pods labelled {}; a"
                        + " leader whose pod stops or is not ready is replaced within about {} ms", service.getKubernetesResourceName(),
                namespace == null ? "this pod's namespace" : namespace, service.getClusterLabels(), 2 * retry);
        return service;
    }

    /** {@code a=b,c=d} as a map; validated at start. */
    static Map<String, String> labels(String s) {
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : s.split(",")) {
            String[] kv = pair.trim().split("=", 2);
            labels.put(kv[0].trim(), kv[1].trim());
        }
        return labels;
    }

    /** One process: every singleton route runs here, as it would without a policy. */
    static final class SingleProcess extends RoutePolicySupport {
        @Override
        public void onInit(Route route) {
            // nothing to elect
        }
    }
}
