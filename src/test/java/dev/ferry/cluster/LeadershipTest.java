package dev.ferry.cluster;

import dev.ferry.testing.FerryUnderTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two Ferry instances sharing a lock directory (ferry.cluster.service = file): the dump's singleton routes (its
 * schedule and its request files) run on one of them only; when that one stops, the other takes them over. In one
 * JVM, as Camel's file-lock service contends correctly there (a lock held by another channel counts as taken).
 */
class LeadershipTest {

    private static final List<String> SINGLETONS = List.of("opensearch-to-s3-schedule", "opensearch-to-s3-request-file");

    @TempDir
    Path work;

    @Test
    void singletonRoutesRunOnTheLeaderOnlyAndMoveWhenItStops() throws Exception {
        Path locks = work.resolve("locks");
        try (FerryUnderTest first = FerryUnderTest.start(settings("a", locks))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> singletonsOf(first) == ServiceStatus.Started);
            assertThat(leaderGauge(first)).isEqualTo(1.0);
            try (FerryUnderTest second = FerryUnderTest.start(settings("b", locks))) {
                // the follower's singleton routes stay stopped while the leader lives (here: 10 lock intervals)
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> singletonsOf(second) == ServiceStatus.Stopped && singletonsOf(first) == ServiceStatus.Started);
                assertThat(leaderGauge(second)).isZero();
                assertThat(second.camelContext().getRouteController().getRouteStatus("opensearch-to-s3-progress"))
                        .as("routes without the policy run on every replica").isEqualTo(ServiceStatus.Started);
                assertThat(Files.exists(locks.resolve("ferry-opensearch-to-s3"))).as("the pipeline's lock file").isTrue();

                first.close();
                await().atMost(Duration.ofSeconds(10)).until(() -> singletonsOf(second) == ServiceStatus.Started);
                assertThat(leaderGauge(second)).isEqualTo(1.0);
            }
        }
    }

    /** Started when every singleton route is, Stopped when every one is, else null (a mix never satisfies a test). */
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

    private Map<String, String> settings(String name, Path locks) {
        Map<String, String> s = new HashMap<>();
        s.put("ferry.cluster.service", "file");
        s.put("ferry.cluster.file.root", locks.toString());
        s.put("ferry.cluster.file.interval-ms", "300");
        s.put("ferry.cluster.file.stale-intervals", "2");
        s.put("ferry.opensearch-to-s3.enabled", "true");
        s.put("ferry.opensearch-to-s3.index", "leadership");
        s.put("ferry.opensearch-to-s3.destination", "file:" + work.resolve("dumps"));
        s.put("ferry.opensearch-to-s3.schedule", "0 0 0 1 1 ? 2099");
        s.put("ferry.opensearch-to-s3.spool-dir", work.resolve(name + "-spool").toString());
        s.put("ferry.opensearch-to-s3.request-dir", work.resolve(name + "-requests").toString());
        s.put("ferry.opensearch.hosts", "127.0.0.1:9"); // never asked: the schedule is far away and no request comes
        return s;
    }
}
