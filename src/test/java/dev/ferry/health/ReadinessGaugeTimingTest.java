package dev.ferry.health;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How ferry_ready is evaluated, with a readiness check the test controls (the real checks are in ReadinessGaugeTest):
 * a hanging check holds a scrape for at most WAIT_MS, and scrapes within MAX_AGE_MS share one evaluation.
 */
class ReadinessGaugeTimingTest {

    @Test
    void aHangingCheckHoldsTheScrapeAtMostTheWaitAndScrapesShareOneEvaluation() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean up = new AtomicBoolean(false);
        AtomicInteger calls = new AtomicInteger();
        try (DefaultCamelContext camel = new DefaultCamelContext()) {
            camel.start();
            HealthCheckRegistry.get(camel).register(new AbstractHealthCheck("test", "dependency") {
                @Override
                public boolean isLiveness() {
                    return false;
                }

                @Override
                protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
                    calls.incrementAndGet();
                    try {
                        release.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (up.get()) {
                        builder.up();
                    } else {
                        builder.down();
                    }
                }
            });
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            ReadinessGauge.register(camel, registry);

            long start = System.nanoTime();
            double hanging = registry.get("ferry.ready").gauge().value();
            long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(hanging).as("no result yet").isNaN();
            assertThat(waitedMs).isBetween(ReadinessGauge.WAIT_MS - 100, ReadinessGauge.WAIT_MS + 1500);
            registry.get("ferry.ready").gauge().value(); // a second scrape joins the same evaluation
            assertThat(calls.get()).isEqualTo(1);

            release.countDown(); // the check answers DOWN
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("ferry.ready").gauge().value() == 0.0);
            up.set(true); // and UP once the result is older than MAX_AGE_MS
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200))
                    .until(() -> registry.get("ferry.ready").gauge().value() == 1.0);
            assertThat(calls.get()).isEqualTo(2);
        }
    }
}
