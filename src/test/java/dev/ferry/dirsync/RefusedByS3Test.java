package dev.ferry.dirsync;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;

/** Which S3 errors fail one file (its own request refused) and which are faults of S3 (retried, then the sync fails). */
class RefusedByS3Test {

    @Test
    void aRefusalOfTheRequestFailsTheFileAConnectionOrCredentialErrorDoesNot() {
        assertThat(refused(400, "KeyTooLongError")).isTrue();
        assertThat(refused(400, "EntityTooLarge")).isTrue();
        assertThat(refused(411, "MissingContentLength")).isTrue();
        assertThat(refused(400, null)).as("a 400 without a code (a bare store)").isTrue();

        assertThat(refused(400, "RequestTimeout")).as("the connection stalled: S3's fault to retry").isFalse();
        assertThat(refused(400, "IncompleteBody")).isFalse();
        assertThat(refused(400, "BadDigest")).isFalse();
        assertThat(refused(400, "ExpiredToken")).as("the credentials: every file would fail").isFalse();
        assertThat(refused(403, "AccessDenied")).isFalse();
        assertThat(refused(404, "NoSuchBucket")).isFalse();
        assertThat(refused(500, "InternalError")).isFalse();
        assertThat(refused(503, "SlowDown")).isFalse();
    }

    private static boolean refused(int status, String code) {
        return DirSync.refusesTheRequest((S3Exception) S3Exception.builder().statusCode(status).message("refused")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("refused").build()).build());
    }
}
