package dev.ferry.s3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The small JSON objects beside a dump's parts: {@code checkpoint.json} (rewritten after every uploaded part, so an
 * interrupted dump can resume) and {@code manifest.json} (written once, last: it exists only for a complete dump).
 */
public final class DumpStore {

    public static final String MANIFEST = "manifest.json";
    public static final String CHECKPOINT = "checkpoint.json";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final S3Client s3;

    public DumpStore(S3Client s3) {
        this.s3 = s3;
    }

    public void put(String bucket, String key, JsonNode json) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(key).contentType("application/json"),
                    RequestBody.fromBytes(MAPPER.writeValueAsBytes(json)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Optional<JsonNode> get(String bucket, String key) {
        try {
            return Optional.of(MAPPER.readTree(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asInputStream()));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public boolean exists(String bucket, String key) {
        try {
            s3.headObject(b -> b.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    public void delete(String bucket, String key) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
    }

    /** Sub-"folders" directly under {@code prefix} (which ends with '/'), sorted. */
    public List<String> folders(String bucket, String prefix) {
        List<String> found = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/")).commonPrefixes()
                .stream().map(CommonPrefix::prefix).forEach(found::add);
        found.sort(null);
        return found;
    }

    /** Keys under {@code prefix}. */
    public List<String> keys(String bucket, String prefix) {
        List<String> found = new ArrayList<>();
        s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().map(S3Object::key)
                .forEach(found::add);
        return found;
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }
}
