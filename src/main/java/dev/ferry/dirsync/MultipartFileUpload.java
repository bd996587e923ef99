package dev.ferry.dirsync;

import org.apache.commons.io.input.BoundedInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A large file put as an S3 multipart upload, in constant memory: each piece is streamed from its range of the file
 * (re-opened when the SDK retries a piece), one piece at a time; a failure aborts the upload, so no orphan parts stay.
 *
 * <p>Not the aws2-s3 component's {@code multiPartUpload=true}: in Camel 4.17 it does not send the message's
 * {@code CamelAwsS3Metadata} with the multipart upload (only its single put does), and the object would lose the
 * {@code ferry-sha256} that makes a large object comparable by content.
 */
final class MultipartFileUpload {

    private final S3Client s3;
    private final long partBytes;

    MultipartFileUpload(S3Client s3, long partBytes) {
        this.s3 = s3;
        this.partBytes = partBytes;
    }

    /** Uploads the file to bucket/key with this metadata and content type; returns the object's ETag. */
    String upload(SyncFile file, String bucket, String contentType, Map<String, String> metadata) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(file.getKey()).contentType(contentType)
                .metadata(metadata)).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            long size = file.getSize();
            int number = 1;
            for (long offset = 0; offset < size; offset += partBytes, number++) { // size >= threshold >= 5 MiB
                long length = Math.min(partBytes, size - offset);
                long from = offset;
                int partNumber = number;
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(file.getKey()).uploadId(uploadId)
                                .partNumber(partNumber).contentLength(length),
                        RequestBody.fromContentProvider(range(file, from, length), length, "application/octet-stream"))
                        .eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
            }
            return s3.completeMultipartUpload(b -> b.bucket(bucket).key(file.getKey()).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts))).eTag();
        } catch (RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(file.getKey()).uploadId(uploadId));
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e;
        }
    }

    /** A fresh stream over [from, from + length) of the file, each time the SDK asks (its retries ask again). */
    private static ContentStreamProvider range(SyncFile file, long from, long length) {
        return () -> {
            try {
                FileChannel channel = FileChannel.open(file.getPath(), StandardOpenOption.READ);
                channel.position(from);
                return BoundedInputStream.builder().setInputStream(Channels.newInputStream(channel)).setMaxCount(length).get();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file.getPath() + ": " + e.getMessage(), e);
            }
        };
    }
}
