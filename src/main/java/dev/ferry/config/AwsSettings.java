package dev.ferry.config;

import org.apache.camel.spi.PropertiesComponent;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
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

    /** Sets region, credentials and (when one is set) the endpoint of {@code prefix} on an AWS client builder. */
    public static <B extends AwsClientBuilder<B, ?>> B configure(B builder, PropertiesComponent pc, String prefix) {
        builder.region(Region.of(Setting.required(pc, prefix + ".region")));
        String accessKey = Setting.optional(pc, prefix + ".access-key");
        builder.credentialsProvider(accessKey != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, Setting.required(pc, prefix + ".secret-key")))
                : DefaultCredentialsProvider.builder().build());
        String endpoint = Setting.optional(pc, prefix + ".endpoint");
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder;
    }
}
