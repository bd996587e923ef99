package dev.ferry.cluster;

import dev.ferry.testing.FerryUnderTest;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two Ferry instances electing through Kubernetes Leases (ferry.cluster.service = kubernetes), against a Kubernetes
 * API server that stores what clients write (fabric8's server in CRUD mode: no cluster runs here). The dump's
 * singleton routes run on the lease holder only; when it stops and its pod is gone, the other pod takes the lease over
 * and the routes start there.
 */
class KubernetesLeadershipTest {

    private static final String NAMESPACE = "ferry-test";
    private static final List<String> SINGLETONS = List.of("opensearch-to-s3-schedule", "opensearch-to-s3-request-file");

    private static KubernetesMockServer server;
    private static NamespacedKubernetesClient client;

    @TempDir
    Path work;

    @BeforeAll
    static void startApiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(List.of()), false);
        server.init();
        client = server.createClient();
        // Camel counts a pod as a member only while it is running and ready, as the Deployment's pods would be
        for (String pod : List.of("replica-a", "replica-b")) {
            Pod running = new PodBuilder().withNewMetadata().withName(pod).withNamespace(NAMESPACE)
                    .addToLabels("app.kubernetes.io/name", "ferry").endMetadata()
                    .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True")
                    .endCondition().endStatus().build();
            client.pods().inNamespace(NAMESPACE).resource(running).create();
            client.pods().inNamespace(NAMESPACE).resource(running).updateStatus();
        }
    }

    @AfterAll
    static void stopApiServer() {
        client.close();
        server.destroy();
    }

    @Test
    void singletonRoutesRunOnTheLeaseHolderOnlyAndMoveWhenItStops() throws Exception {
        try (FerryUnderTest first = FerryUnderTest.start(settings("replica-a"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> singletonsOf(first) == ServiceStatus.Started);
            assertThat(leaderGauge(first)).isEqualTo(1.0);
            assertThat(leaseHolder()).isEqualTo("replica-a");
            try (FerryUnderTest second = FerryUnderTest.start(settings("replica-b"))) {
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> singletonsOf(second) == ServiceStatus.Stopped && singletonsOf(first) == ServiceStatus.Started);
                assertThat(leaderGauge(second)).isZero();
                assertThat(leaseHolder()).isEqualTo("replica-a");

                // the leader stops and its pod goes away, as Kubernetes removes a stopped pod of a Deployment (a
                // crashed container makes its pod not ready at once, which counts the same: only running, ready pods
                // are members); the other pod takes the lease over at its next try
                first.close();
                client.pods().inNamespace(NAMESPACE).withName("replica-a").delete();
                long stopped = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).until(() -> singletonsOf(second) == ServiceStatus.Started);
                assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("taken over within a few retry periods")
                        .isLessThan(Duration.ofSeconds(5));
                assertThat(leaderGauge(second)).isEqualTo(1.0);
                assertThat(leaseHolder()).isEqualTo("replica-b");
            }
        }
    }

    /** The holder of the dump pipeline's lease (the only lease whose name mentions it). */
    private static String leaseHolder() {
        List<Lease> leases = client.leases().inNamespace(NAMESPACE).list().getItems().stream()
                .filter(l -> l.getMetadata().getName().contains("opensearch-to-s3")).toList();
        assertThat(leases).hasSize(1);
        return leases.get(0).getSpec().getHolderIdentity();
    }

    private static ServiceStatus singletonsOf(FerryUnderTest ferry) {
        ServiceStatus all = null;
        for (String id : SINGLETONS) {
            ServiceStatus status = ferry.camelContext().getRouteController().getRouteStatus(id);
            if (all != null && all != status) {
                return null;
            }
            all = status;
        }
        return all;
    }

    private static double leaderGauge(FerryUnderTest ferry) {
        return ferry.camelContext().getRegistry().findByType(MeterRegistry.class).stream()
                .map(r -> r.find("ferry_leader").tag("pipeline", "opensearch-to-s3").gauge())
                .filter(g -> g != null).findFirst().orElseThrow().value();
    }

    private Map<String, String> settings(String pod) {
        Map<String, String> s = new HashMap<>();
        s.put("ferry.cluster.service", "kubernetes");
        s.put("ferry.cluster.kubernetes.master-url", server.url("/"));
        s.put("ferry.cluster.kubernetes.namespace", NAMESPACE);
        s.put("ferry.cluster.kubernetes.pod-name", pod);
        s.put("ferry.cluster.kubernetes.lease-duration-ms", "3000");
        s.put("ferry.cluster.kubernetes.renew-deadline-ms", "2000");
        s.put("ferry.cluster.kubernetes.retry-period-ms", "300");
        s.put("ferry.opensearch-to-s3.enabled", "true");
        s.put("ferry.opensearch-to-s3.index", "leadership");
        s.put("ferry.opensearch-to-s3.destination", "file:" + work.resolve("dumps"));
        s.put("ferry.opensearch-to-s3.schedule", "0 0 0 1 1 ? 2099");
        s.put("ferry.opensearch-to-s3.spool-dir", work.resolve(pod + "-spool").toString());
        s.put("ferry.opensearch-to-s3.request-dir", work.resolve(pod + "-requests").toString());
        s.put("ferry.opensearch.hosts", "127.0.0.1:9"); // never asked: the schedule is far away and no request comes
        return s;
    }
}
