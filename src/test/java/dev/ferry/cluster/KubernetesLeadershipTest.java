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
            await().atMost(Duration.ofSeconds(30)).until(() -> DumpSingletons.of(first) == ServiceStatus.Started);
            assertThat(DumpSingletons.leaderGauge(first)).isEqualTo(1.0);
            assertThat(leaseHolder()).isEqualTo("replica-a");
            try (FerryUnderTest second = FerryUnderTest.start(settings("replica-b"))) {
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> DumpSingletons.of(second) == ServiceStatus.Stopped && DumpSingletons.of(first) == ServiceStatus.Started);
                assertThat(DumpSingletons.leaderGauge(second)).isZero();
                assertThat(leaseHolder()).isEqualTo("replica-a");

                // the leader stops and its pod goes away, as Kubernetes removes a stopped pod of a Deployment (a
                // crashed container makes its pod not ready at once, which counts the same: only running, ready pods
                // are members); the other pod takes the lease over at its next try
                first.close();
                client.pods().inNamespace(NAMESPACE).withName("replica-a").delete();
                long stopped = System.nanoTime();
                await().atMost(Duration.ofSeconds(10)).until(() -> DumpSingletons.of(second) == ServiceStatus.Started);
                assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("taken over within a few retry periods")
                        .isLessThan(Duration.ofSeconds(5));
                assertThat(DumpSingletons.leaderGauge(second)).isEqualTo(1.0);
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


    private Map<String, String> settings(String pod) {
        Map<String, String> s = DumpSingletons.dumpSettings(work, pod);
        s.put("ferry.cluster.service", "kubernetes");
        s.put("ferry.cluster.kubernetes.master-url", server.url("/"));
        s.put("ferry.cluster.kubernetes.namespace", NAMESPACE);
        s.put("ferry.cluster.kubernetes.pod-name", pod);
        s.put("ferry.cluster.kubernetes.lease-duration-ms", "3000");
        s.put("ferry.cluster.kubernetes.renew-deadline-ms", "2000");
        s.put("ferry.cluster.kubernetes.retry-period-ms", "300");
        return s;
    }
}
