package dev.ferry.config;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whose fault an S3 error is: the request's own (dir-to-s3 fails that one file at once) or one a later attempt may get
 * past (every pipeline retries it, and fails its run when it lasts: a dump's checkpoint and manifest, a resumed
 * download, a sync).
 */
class S3FaultsTest {

    @Test
    void aRefusalOfTheRequestIsTheRequestsOwnAConnectionOrCredentialErrorIsNot() {
        assertThat(S3Faults.refusesTheRequest(error(400, "KeyTooLongError"))).isTrue();
        assertThat(S3Faults.refusesTheRequest(error(400, "EntityTooLarge"))).isTrue();
        assertThat(S3Faults.refusesTheRequest(error(411, "MissingContentLength"))).isTrue();
        assertThat(S3Faults.refusesTheRequest(error(400, null))).as("a 400 without a code (a bare store)").isTrue();

        assertThat(S3Faults.refusesTheRequest(error(400, "RequestTimeout"))).as("the connection stalled").isFalse();
        assertThat(S3Faults.refusesTheRequest(error(400, "IncompleteBody"))).isFalse();
        assertThat(S3Faults.refusesTheRequest(error(400, "BadDigest"))).isFalse();
        assertThat(S3Faults.refusesTheRequest(error(400, "ExpiredToken"))).as("the credentials: every request would fail").isFalse();
        assertThat(S3Faults.refusesTheRequest(error(403, "AccessDenied"))).isFalse();
        assertThat(S3Faults.refusesTheRequest(error(404, "NoSuchBucket"))).isFalse();
        assertThat(S3Faults.refusesTheRequest(error(500, "InternalError"))).isFalse();
        assertThat(S3Faults.refusesTheRequest(error(503, "SlowDown"))).isFalse();
    }

    @Test
    void noAnswerThrottlingAServerErrorOrA400AboutTheConnectionMayPassLater() {
        assertThat(S3Faults.mayPassLater(SdkClientException.create("Unable to execute HTTP request: Connection reset")))
                .as("no answer: cut, stalled, unreachable").isTrue();
        assertThat(S3Faults.mayPassLater(error(429, "TooManyRequests"))).isTrue();
        assertThat(S3Faults.mayPassLater(error(500, "InternalError"))).isTrue();
        assertThat(S3Faults.mayPassLater(error(503, "SlowDown"))).isTrue();
        for (String code : S3Faults.NOT_THE_REQUEST) {
            assertThat(S3Faults.mayPassLater(error(400, code))).as(code).isTrue();
        }

        assertThat(S3Faults.mayPassLater(error(400, "KeyTooLongError"))).as("a refusal comes back the same").isFalse();
        assertThat(S3Faults.mayPassLater(error(400, null))).isFalse();
        assertThat(S3Faults.mayPassLater(error(403, "AccessDenied"))).isFalse();
        assertThat(S3Faults.mayPassLater(error(404, "NoSuchBucket"))).isFalse();
        assertThat(S3Faults.mayPassLater(error(412, "PreconditionFailed"))).isFalse();
        assertThat(S3Faults.mayPassLater(new IllegalStateException("not S3's"))).isFalse();
    }

    private static S3Exception error(int status, String code) {
        return (S3Exception) S3Exception.builder().statusCode(status).message("refused")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("refused").build()).build();
    }
}
