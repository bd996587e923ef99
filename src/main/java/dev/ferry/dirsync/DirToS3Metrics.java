package dev.ferry.dirsync;

import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.core.instrument.Counter;

/**
 * What the record counters ({@code ferry_records_*_total{pipeline="dir-to-s3"}}: files) do not say:
 * {@code ferry_dir_to_s3_uploaded_bytes_total} and {@code ferry_dir_to_s3_deleted_objects_total}.
 */
final class DirToS3Metrics {

    private final PipelineMetrics metrics;
    private volatile Counter bytes;
    private volatile Counter deleted;

    DirToS3Metrics(PipelineMetrics metrics) {
        this.metrics = metrics;
    }

    /** At start-up, once the scraped registry is bound: the counters show at zero before the first sync. */
    void register() {
        bytes = Counter.builder("ferry.dir_to_s3.uploaded_bytes").description("Bytes of files uploaded by dir-to-s3")
                .tag("pipeline", DirSync.PIPELINE).register(metrics.registry());
        deleted = Counter.builder("ferry.dir_to_s3.deleted_objects")
                .description("Objects deleted by dir-to-s3 because their file left the source (delete=true)")
                .tag("pipeline", DirSync.PIPELINE).register(metrics.registry());
    }

    void uploadedBytes(long n) {
        Counter c = bytes;
        if (c != null) {
            c.increment(n);
        }
    }

    void deleted(long n) {
        Counter c = deleted;
        if (c != null) {
            c.increment(n);
        }
    }
}
