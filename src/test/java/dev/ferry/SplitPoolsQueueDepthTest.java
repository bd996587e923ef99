package dev.ferry;

import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** ferry_pool_queue_depth: the tasks waiting in a split pool, registered when the pool is built. */
class SplitPoolsQueueDepthTest {

    private static final String DEPTH = "ferry_pool_queue_depth{pipeline=\"s3-to-opensearch\",pool=\"s3-to-opensearch-bulk\"} ";

    @Test
    void theQueueDepthOfAPoolIsExportedWithItsPipeline() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.getRegistry().bind("pipelineMetrics", new PipelineMetrics(() -> registry));
            context.start();
            ExecutorService pool = SplitPools.fifo(context, this, "s3-to-opensearch-bulk", 1);
            assertThat(registry.scrape()).contains(DEPTH + "0.0");

            CountDownLatch running = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            pool.submit(() -> {
                running.countDown();
                release.await();
                return null;
            });
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            pool.submit(() -> { });
            pool.submit(() -> { });
            // the one thread is busy: the two behind it wait in the queue
            assertThat(registry.scrape()).contains(DEPTH + "2.0");
            release.countDown();
            pool.shutdown();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(registry.scrape()).contains(DEPTH + "0.0");
        }
    }
}
