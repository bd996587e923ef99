package dev.ferry.cluster;

import dev.ferry.examples.ExampleRoutes;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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


    /**
     * Camel's timer skips a tick that comes before its route has finished starting, as a singleton route's does: it
     * starts when its replica becomes the leader, after Ferry. With a delay of 0 the first tick was lost about 1 start in
     * 10; with Ferry's least delay, none of 50 starts may lose it.
     */
    @Test
    void aSingletonTimerWithFerrysLeastDelayFiresOnEveryLateStart() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            AtomicReference<CountDownLatch> ticked = new AtomicReference<>(new CountDownLatch(1));
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("timer:late?synchronous=true&period=600000&delay=" + Leadership.MIN_FIRST_TICK_DELAY_MS)
                            .routeId("late").autoStartup(false).process(e -> ticked.get().countDown());
                }
            });
            context.start();
            for (int start = 1; start <= 50; start++) {
                ticked.set(new CountDownLatch(1));
                context.getRouteController().startRoute("late");
                assertThat(ticked.get().await(5, TimeUnit.SECONDS)).as("first tick after start %d", start).isTrue();
                context.getRouteController().stopRoute("late");
            }
        }
    }

    @Test
    void aSingletonRouteWhoseTimerFiresSoonerIsRefusedAtStart() throws Exception {
        Path edit = Files.createDirectories(work.resolve("edit"));
        Files.writeString(edit.resolve("eager.camel.yaml"), """
                - route:
                    id: eager-singleton
                    description: A singleton whose timer fires at once
                    routePolicy: opensearch-to-s3-leader
                    from:
                      uri: "timer:eager"
                      parameters:
                        delay: "0"
                      steps:
                        - log: tick
                """);
        Map<String, String> s = new java.util.HashMap<>(ExampleRoutes.apply(edit, Files.createDirectories(work.resolve("routes"))).settings());
        assertThatThrownBy(() -> FerryUnderTest.start(s).close())
                .hasStackTraceContaining("Route eager-singleton: its timer (timer://eager?delay=0) fires first after 0 ms;"
                        + " a singleton route's timer needs a delay of at least 100 ms");
    }

    private Map<String, String> settings(String name, Path locks) {
        Map<String, String> s = DumpSingletons.dumpSettings(work, name);
        s.putAll(FerryUnderTest.fileLockCluster(locks, 300, 2));
        return s;
    }
}
