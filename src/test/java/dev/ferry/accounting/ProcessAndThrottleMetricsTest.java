package dev.ferry.accounting;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** process_resident_memory_bytes from /proc, and ferry_throttled_total at zero from start, counted per run. */
class ProcessAndThrottleMetricsTest {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    @Test
    void residentMemoryIsTheProcessRssOnLinux() {
        assumeTrue(Files.isReadable(ResidentMemoryGauge.PROC_STATUS), "no /proc/self/status (not Linux)");
        assertThat(ResidentMemoryGauge.register(registry)).isTrue();
        Matcher rss = Pattern.compile("(?m)^process_resident_memory_bytes (\\S+)$").matcher(registry.scrape());
        assertThat(rss.find()).as(registry.scrape()).isTrue();
        double bytes = Double.parseDouble(rss.group(1));
        // a running JVM holds at least its used heap in RAM, and more than 10 MB
        long usedHeap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertThat(bytes).isGreaterThan(10 * 1024 * 1024).isGreaterThan(usedHeap * 0.5);
    }

    @Test
    void residentMemoryIsReadFromVmRssInKibAndAbsentWithoutTheFile(@TempDir Path dir) throws Exception {
        Path status = dir.resolve("status");
        Files.writeString(status, "Name:\tjava\nVmPeak:\t 9999 kB\nVmRSS:\t  123456 kB\nThreads:\t40\n");
        assertThat(ResidentMemoryGauge.read(status)).isEqualTo(123456 * 1024.0);
        assertThat(ResidentMemoryGauge.register(registry, dir.resolve("missing"))).isFalse();
        assertThat(registry.scrape()).doesNotContain("process_resident_memory_bytes");
        assertThat(ResidentMemoryGauge.register(registry, status)).isTrue();
        assertThat(registry.scrape()).contains("process_resident_memory_bytes 1.26418944E8");
    }

    @Test
    void throttledIsExportedAtZeroAndCountedByTheRun() {
        PipelineMetrics metrics = new PipelineMetrics(() -> registry);
        metrics.register("s3-to-opensearch");
        metrics.register("report-to-sql");
        assertThat(registry.scrape()).contains("ferry_throttled_total{pipeline=\"s3-to-opensearch\"} 0.0")
                .contains("ferry_throttled_total{pipeline=\"report-to-sql\"} 0.0");
        Runs runs = new Runs(metrics);
        runs.begin("s3-to-opensearch", "bucket/a").throttled(3).throttled(0);
        assertThat(registry.scrape()).contains("ferry_throttled_total{pipeline=\"s3-to-opensearch\"} 3.0")
                .contains("ferry_throttled_total{pipeline=\"report-to-sql\"} 0.0");
    }
}
