package dev.ferry.dump;

import dev.ferry.config.DumpPartMetadata;
import org.apache.commons.io.input.BoundedInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Uploads a spooled part with the AWS SDK's S3 client (the {@code ferryS3Client} bean): one PUT when it is small,
 * a multipart upload in {@code multipartBytes} pieces when it is larger (each piece re-read from the spool file, so
 * the SDK can retry it). A failed multipart upload is aborted, never left half-done. After the upload the object's
 * size is checked against the spool file: an object is only counted once S3 holds all of it.
 */
public final class PartUploader {

    private static final String CONTENT_TYPE = "application/x-ndjson";

    private final S3Client s3;
    private final long multipartBytes;

    public PartUploader(S3Client s3, long multipartBytes) {
        this.s3 = s3;
        this.multipartBytes = multipartBytes;
    }

    /** Uploads the part; a failure names the endpoint, the key and the cause ({@link DumpStore.S3Failure}). */
    public void upload(String bucket, String key, SpooledPart part) {
        try {
            put(bucket, key, part);
        } catch (RuntimeException e) {
            throw DumpStore.failure(s3, "upload of s3://" + bucket + "/" + key, e);
        }
    }

    private void put(String bucket, String key, SpooledPart part) {
        if (part.bytes() <= multipartBytes) {
            s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType(CONTENT_TYPE)
                    .contentEncoding(part.compression().id()).metadata(metadata(part)).build(), RequestBody.fromFile(part.file()));
        } else {
            multipart(bucket, key, part);
        }
        HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(key));
        if (head.contentLength() != part.bytes()) {
            throw new IllegalStateException("S3 holds " + head.contentLength() + " bytes of " + key + ", expected "
                    + part.bytes());
        }
    }

    private void multipart(String bucket, String key, SpooledPart part) {
        String uploadId = s3.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                .contentType(CONTENT_TYPE).contentEncoding(part.compression().id()).metadata(metadata(part)).build()).uploadId();
        try {
            List<CompletedPart> done = new ArrayList<>();
            int number = 1;
            for (long offset = 0; offset < part.bytes(); offset += multipartBytes, number++) {
                long from = offset;
                long length = Math.min(multipartBytes, part.bytes() - offset);
                RequestBody body = RequestBody.fromContentProvider(() -> slice(part, from, length), length, CONTENT_TYPE);
                String etag = s3.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength(length).build(), body).eTag();
                done.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(done).build()));
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId).build());
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    private static Map<String, String> metadata(SpooledPart part) {
        return new DumpPartMetadata(part.documents(), part.sha256()).asMetadata();
    }

    private static InputStream slice(SpooledPart part, long from, long length) {
        try {
            FileChannel channel = FileChannel.open(part.file(), StandardOpenOption.READ);
            channel.position(from);
            InputStream in = Channels.newInputStream(channel);
            return BoundedInputStream.builder().setInputStream(in).setMaxCount(length).get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
