package dev.ferry.dump;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A failed request of the dump to S3 (a part, the checkpoint, the manifest) names the endpoint and the request, and is
 * retried when a later attempt may pass (dev.ferry.config.S3Faults): a 400 about the connection (RequestTimeout,
 * IncompleteBody, BadDigest) is, like no answer, a 429 or a 5xx; a 403 or a refusal is not.
 */
class DumpStoreFailureTest {

    @Test
    void aFailureAboutTheConnectionIsRetriedOneAboutTheRequestIsNot() {
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create("http://127.0.0.1:9")).region(Region.US_EAST_1)
                .credentialsProvider(AnonymousCredentialsProvider.create()).build()) {
            DumpStore.S3Failure stalled = DumpStore.failure(s3, "PUT s3://dumps/logs/d1/checkpoint.json", error(400, "RequestTimeout"));
            assertThat(stalled.retryable()).isTrue();
            assertThat(stalled.getMessage()).startsWith("S3 127.0.0.1:9 PUT s3://dumps/logs/d1/checkpoint.json failed: S3Exception: ");
            assertThat(DumpStore.failure(s3, "PUT", error(400, "IncompleteBody")).retryable()).isTrue();
            assertThat(DumpStore.failure(s3, "PUT", error(503, "SlowDown")).retryable()).isTrue();
            assertThat(DumpStore.failure(s3, "PUT", SdkClientException.create("Connection reset")).retryable()).isTrue();

            assertThat(DumpStore.failure(s3, "PUT", error(403, "AccessDenied")).retryable()).isFalse();
            assertThat(DumpStore.failure(s3, "PUT", error(400, "KeyTooLongError")).retryable()).isFalse();
        }
    }

    private static S3Exception error(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status).message(code)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
    }
}
