package dev.ferry.cluster;

import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two Ferry instances sharing a lock directory (ferry.cluster.service = file): the dump's singleton routes (its
 * schedule and its request files) run on one of them only; when that one stops, the other takes them over. In one
 * JVM, as Camel's file-lock service contends correctly there (a lock held by another channel counts as taken).
 */
class LeadershipTest {


    @TempDir
    Path work;

    @Test
    void singletonRoutesRunOnTheLeaderOnlyAndMoveWhenItStops() throws Exception {
        Path locks = work.resolve("locks");
        try (FerryUnderTest first = FerryUnderTest.start(settings("a", locks))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> DumpSingletons.of(first) == ServiceStatus.Started);
            assertThat(DumpSingletons.leaderGauge(first)).isEqualTo(1.0);
            try (FerryUnderTest second = FerryUnderTest.start(settings("b", locks))) {
                // the follower's singleton routes stay stopped while the leader lives (here: 10 lock intervals)
                await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
                        .until(() -> DumpSingletons.of(second) == ServiceStatus.Stopped && DumpSingletons.of(first) == ServiceStatus.Started);
                assertThat(DumpSingletons.leaderGauge(second)).isZero();
                assertThat(second.camelContext().getRouteController().getRouteStatus("opensearch-to-s3-progress"))
                        .as("routes without the policy run on every replica").isEqualTo(ServiceStatus.Started);
                assertThat(Files.exists(locks.resolve("ferry-opensearch-to-s3"))).as("the pipeline's lock file").isTrue();

                first.close();
                await().atMost(Duration.ofSeconds(10)).until(() -> DumpSingletons.of(second) == ServiceStatus.Started);
                assertThat(DumpSingletons.leaderGauge(second)).isEqualTo(1.0);
            }
        }
    }


    private Map<String, String> settings(String name, Path locks) {
        Map<String, String> s = DumpSingletons.dumpSettings(work, name);
        s.put("ferry.cluster.service", "file");
        s.put("ferry.cluster.file.root", locks.toString());
        s.put("ferry.cluster.file.interval-ms", "300");
        s.put("ferry.cluster.file.stale-intervals", "2");
        return s;
    }
}
