package dev.ferry.config;

import org.apache.camel.spi.PropertiesComponent;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;

import java.net.URI;

/**
 * The settings every AWS client of Ferry reads the same way under its prefix ({@code ferry.s3}, {@code ferry.sqs}):
 * {@code .region}, an optional {@code .endpoint} (S3Proxy, ElasticMQ, MinIO) and either {@code .access-key} with
 * {@code .secret-key} or, without keys, the SDK's default chain (environment, profile, web identity, instance role).
 */
public final class AwsSettings {

    private AwsSettings() {
    }

    public static Region region(PropertiesComponent pc, String prefix) {
        return Region.of(Setting.required(pc, prefix + ".region"));
    }

    /** The endpoint to use instead of AWS's, or null. */
    public static URI endpoint(PropertiesComponent pc, String prefix) {
        String endpoint = Setting.optional(pc, prefix + ".endpoint");
        return endpoint == null ? null : URI.create(endpoint);
    }

    public static AwsCredentialsProvider credentials(PropertiesComponent pc, String prefix) {
        String accessKey = Setting.optional(pc, prefix + ".access-key");
        return accessKey != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, Setting.required(pc, prefix + ".secret-key")))
                : DefaultCredentialsProvider.builder().build();
    }
}
