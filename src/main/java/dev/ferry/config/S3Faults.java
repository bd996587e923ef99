package dev.ferry.config;

import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

import java.util.Set;

/**
 * Whose fault a failed S3 request is, the same way for every pipeline that talks to S3: the request's own (S3 refused
 * it for what it asks; sending it again cannot help), or the connection's, the credentials' or S3's (a later attempt
 * may pass, so it is retried, and when it lasts the run fails: never a dead letter).
 */
public final class S3Faults {

    /**
     * S3's 400s about the connection (a body cut, stalled or changed in transit) or the credentials, not about what was
     * asked: any request would get them.
     */
    public static final Set<String> NOT_THE_REQUEST = Set.of("RequestTimeout", "IncompleteBody", "BadDigest",
            "XAmzContentSHA256Mismatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
            "AuthorizationHeaderMalformed", "InvalidSecurity");

    private S3Faults() {
    }

    /**
     * S3 refused this one request for what it asks (400, 411 or 413: a key too long, an entity too large, a length
     * missing), other than the 400s of {@link #NOT_THE_REQUEST}. A 400 without an error code counts as a refusal.
     */
    public static boolean refusesTheRequest(AwsServiceException e) {
        if (e == null || (e.statusCode() != 400 && e.statusCode() != 411 && e.statusCode() != 413)) {
            return false;
        }
        return !aboutTheConnectionOrCredentials(e);
    }

    /**
     * A later attempt may pass: no answer from S3 (a cut or stalled connection, an unreachable endpoint), 429, a 5xx,
     * or a 400 of {@link #NOT_THE_REQUEST}. Anything else S3 answered (403, 404, a refusal) comes back the same.
     */
    public static boolean mayPassLater(RuntimeException e) {
        if (e instanceof SdkClientException) {
            return true;
        }
        if (e instanceof AwsServiceException a) {
            int status = a.statusCode();
            return status == 429 || status >= 500 || status == 400 && aboutTheConnectionOrCredentials(a);
        }
        return false;
    }

    private static boolean aboutTheConnectionOrCredentials(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
        return code != null && NOT_THE_REQUEST.contains(code); // Set.of refuses to look up null
    }
}
