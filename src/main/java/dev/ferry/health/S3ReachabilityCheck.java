package dev.ferry.health;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import software.amazon.awssdk.services.s3.S3Client;

import java.util.List;
import java.util.Map;

/** Readiness: S3 answers, and every bucket the enabled pipelines use exists and is reachable with our credentials. */
public final class S3ReachabilityCheck extends AbstractHealthCheck {

    private final S3Client s3;
    private final List<String> buckets;

    public S3ReachabilityCheck(S3Client s3, List<String> buckets) {
        super("ferry", "s3");
        this.s3 = s3;
        this.buckets = List.copyOf(buckets);
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try {
            if (buckets.isEmpty()) {
                s3.listBuckets();
            }
            for (String bucket : buckets) {
                builder.detail("bucket", bucket);
                try {
                    s3.headBucket(b -> b.bucket(bucket));
                } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
                    builder.message("S3 bucket " + bucket + " does not exist").down();
                    return;
                }
            }
            builder.up();
        } catch (RuntimeException e) {
            builder.message("S3 not reachable: " + e.getMessage()).error(e).down();
        }
    }
}
