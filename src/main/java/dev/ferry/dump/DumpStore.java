package dev.ferry.dump;

import dev.ferry.config.S3Faults;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The small JSON objects beside a dump's parts in S3: {@code checkpoint.json} (rewritten after every uploaded part,
 * so an interrupted dump can resume) and {@code manifest.json} (written once, last: it exists only for a complete
 * dump); and the listings a resume needs.
 */
public final class DumpStore {

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final S3Client s3;

    public DumpStore(S3Client s3) {
        this.s3 = s3;
    }

    public void put(String bucket, String key, JsonNode json) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"), RequestBody.fromBytes(bytes));
        } catch (RuntimeException e) {
            throw failure(s3, "PUT s3://" + bucket + "/" + key, e);
        }
    }

    public Optional<JsonNode> get(String bucket, String key) {
        try {
            return Optional.of(MAPPER.readTree(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asInputStream()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("s3://" + bucket + "/" + key + " is not JSON: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw failure(s3, "GET s3://" + bucket + "/" + key, e);
        }
    }

    public boolean exists(String bucket, String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw failure(s3, "HEAD s3://" + bucket + "/" + key, e);
        } catch (RuntimeException e) {
            throw failure(s3, "HEAD s3://" + bucket + "/" + key, e);
        }
    }

    /** The object's HEAD: size and metadata; empty when there is no such object. */
    public Optional<software.amazon.awssdk.services.s3.model.HeadObjectResponse> head(String bucket, String key) {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(bucket).key(key)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure(s3, "HEAD s3://" + bucket + "/" + key, e);
        } catch (RuntimeException e) {
            throw failure(s3, "HEAD s3://" + bucket + "/" + key, e);
        }
    }

    public void delete(String bucket, String key) {
        try {
            s3.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (RuntimeException e) {
            throw failure(s3, "DELETE s3://" + bucket + "/" + key, e);
        }
    }

    /** Sub-"folders" directly under {@code prefix} (which ends with '/'), sorted. */
    public List<String> folders(String bucket, String prefix) {
        List<String> found = new ArrayList<>();
        try {
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/")).commonPrefixes()
                    .stream().map(CommonPrefix::prefix).forEach(found::add);
        } catch (RuntimeException e) {
            throw failure(s3, "LIST s3://" + bucket + "/" + prefix, e);
        }
        found.sort(null);
        return found;
    }

    /** Keys under {@code prefix}. */
    public List<String> keys(String bucket, String prefix) {
        List<String> found = new ArrayList<>();
        try {
            s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(S3Object::key)
                    .forEach(found::add);
        } catch (RuntimeException e) {
            throw failure(s3, "LIST s3://" + bucket + "/" + prefix, e);
        }
        return found;
    }

    /** A failed S3 request, naming the endpoint, the request and the cause; never a credential. */
    public static final class S3Failure extends DumpDestination.Failure {
        S3Failure(String message, Throwable cause, boolean retryable) {
            super(message, cause, retryable);
        }
    }

    /** Wraps a failed request as an {@link S3Failure} (an S3Failure passes through). */
    static S3Failure failure(S3Client s3, String request, RuntimeException e) {
        if (e instanceof S3Failure f) {
            return f;
        }
        boolean retryable = S3Faults.mayPassLater(e);
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return new S3Failure("S3 " + endpoint(s3) + " " + request + " failed: " + message, e, retryable);
    }

    /** host:port of the configured endpoint, or "AWS (region)". */
    static String endpoint(S3Client s3) {
        return s3.serviceClientConfiguration().endpointOverride().map(u -> u.getAuthority())
                .orElseGet(() -> "AWS (" + s3.serviceClientConfiguration().region() + ")");
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
