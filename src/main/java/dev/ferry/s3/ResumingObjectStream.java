package dev.ferry.s3;

import dev.ferry.config.DumpPartMetadata;
import dev.ferry.config.S3Faults;
import dev.ferry.config.Sha256;
import io.github.resilience4j.core.IntervalFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;

/**
 * An S3 object's bytes as one stream, whatever happens to the download: when the connection breaks (premature end,
 * reset, read timeout, a server closing a GET that was idle while OpenSearch held the reader back), the object is
 * opened again with a ranged GET from the first byte not yet delivered, pinned to the same version with
 * {@code If-Match} on the first response's ETag, and reading goes on as if nothing happened. It sits below the gzip
 * stream, so the decompressor never sees the break.
 *
 * <p>A transport failure is never taken for damage: when S3 cannot be reached again within the attempts (the budget
 * starts over whenever bytes arrive), {@link DownloadFailedException} is thrown, a runtime exception that passes
 * through the decompressor and the line reader and fails the run, leaving the object in place. An object changed
 * since the first GET (412 Precondition Failed, or a different ETag when a server ignores If-Match) fails the run too.
 * Only the first GET's length marks the end: a stream ending early is a break, not the end of the object.
 */
public final class ResumingObjectStream extends InputStream {

    private static final Logger LOG = LoggerFactory.getLogger(ResumingObjectStream.class);

    /** S3 could not deliver the object (no data problem): the run fails and the object is read again later. */
    public static final class DownloadFailedException extends RuntimeException {
        public DownloadFailedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final S3Client s3;
    private final String bucket;
    private final String key;
    private final int maxAttempts;
    private final IntervalFunction backoff;
    private final long size;
    private final String etag;
    private final DumpPartMetadata dumpPart;
    private final java.security.MessageDigest digest; // over every byte delivered, for a dump part only
    private String deliveredSha256;
    private ResponseInputStream<GetObjectResponse> current;
    private long position;
    private int failedAttempts;
    private int resumes;
    private boolean closed;
    private DownloadFailedException failed;

    /**
     * Opens the object (a plain GET; its S3 errors, such as 404 or an unreachable endpoint, are thrown as they come).
     *
     * @param maxAttempts how many times in a row the object may be opened again without a byte arriving in between
     */
    public ResumingObjectStream(S3Client s3, String bucket, String key, int maxAttempts, long initialDelayMs, long maxDelayMs) {
        this.s3 = s3;
        this.bucket = bucket;
        this.key = key;
        this.maxAttempts = maxAttempts;
        this.backoff = IntervalFunction.ofExponentialRandomBackoff(initialDelayMs, 2.0, 0.5, Math.max(initialDelayMs, maxDelayMs));
        this.current = s3.getObject(b -> b.bucket(bucket).key(key));
        GetObjectResponse first = current.response();
        this.size = first.contentLength() == null ? -1 : first.contentLength();
        this.etag = first.eTag();
        this.dumpPart = DumpPartMetadata.of(first.metadata());
        this.digest = dumpPart == null ? null : Sha256.newDigest();
    }

    /** What the dump that wrote this object recorded of it, or null when it is not a part of a Ferry dump. */
    public DumpPartMetadata dumpPart() {
        return dumpPart;
    }

    /** The hex SHA-256 of the object's bytes once every one was delivered; null before, or when not a dump part. */
    public String sha256OfDelivered() {
        if (digest == null || size < 0 || position < size) {
            return null;
        }
        if (deliveredSha256 == null) {
            deliveredSha256 = java.util.HexFormat.of().formatHex(digest.digest());
        }
        return deliveredSha256;
    }

    /** The object's length in bytes as S3 reported it at the first GET (-1 when it did not say). */
    public long size() {
        return size;
    }

    /** Bytes of the object delivered so far. */
    public long position() {
        return position;
    }

    /** How many times the download was resumed after a break. */
    public int resumes() {
        return resumes;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (failed != null) {
            throw failed; // asked again after giving up (Camel releasing the split): the same reason, no new attempt
        }
        while (true) {
            if (closed) { // closed under the reader by a stop: not the object's fault
                throw new DownloadFailedException("the S3 download of " + bucket + '/' + key + " was closed", null);
            }
            if (size >= 0 && position >= size) {
                return -1; // every byte S3 promised has arrived; what follows on the wire is not the object's
            }
            Exception broke;
            try {
                int n = current.read(b, off, len);
                if (n > 0) {
                    if (digest != null) {
                        digest.update(b, off, n);
                    }
                    position += n;
                    failedAttempts = 0; // progress: the budget starts over
                    return n;
                }
                if (n < 0 && size < 0) {
                    return -1;
                }
                broke = new IOException("the response ended at byte " + position + " of " + size);
            } catch (IOException | SdkException e) {
                broke = e;
            }
            try {
                reopen(broke);
            } catch (DownloadFailedException e) {
                failed = e;
                throw e;
            }
        }
    }

    /** Opens the rest of the object again, from the first byte not yet delivered, the same version only. */
    private void reopen(Exception broke) {
        current.abort(); // never hand a broken connection back to the pool
        while (true) {
            failedAttempts++;
            if (failedAttempts > maxAttempts) {
                throw new DownloadFailedException("S3 download of " + bucket + '/' + key + " broke off at byte " + position
                        + " of " + size + " and could not be resumed in " + maxAttempts + " attempt(s): " + describe(broke), broke);
            }
            long delay = backoff.apply(failedAttempts);
            LOG.warn("S3 download of {}/{} broke off at byte {} of {} ({}); resuming in {} ms (attempt {} of {})", bucket, key,
                    position, size, describe(broke), delay, failedAttempts, maxAttempts);
            sleep(delay);
            try {
                ResponseInputStream<GetObjectResponse> next = s3.getObject(r -> r.bucket(bucket).key(key)
                        .range("bytes=" + position + "-").ifMatch(etag));
                String got = next.response().eTag();
                if (etag != null && got != null && !etag.equals(got)) { // a server that ignores If-Match
                    next.abort();
                    throw changed(got, null);
                }
                String range = next.response().contentRange();
                if (range != null && !range.startsWith("bytes " + position + "-")) {
                    next.abort();
                    throw new DownloadFailedException("S3 answered the resume of " + bucket + '/' + key + " at byte "
                            + position + " with range " + range, null);
                }
                current = next;
                resumes++;
                return;
            } catch (S3Exception e) {
                if (e.statusCode() == 412) {
                    throw changed(null, e);
                }
                if (!S3Faults.mayPassLater(e)) {
                    throw new DownloadFailedException("S3 refused to resume " + bucket + '/' + key + " at byte " + position
                            + ": " + describe(e), e);
                }
                broke = e;
            } catch (SdkException e) {
                broke = e; // unreachable, timed out: try again within the budget
            }
        }
    }

    private DownloadFailedException changed(String newEtag, Throwable cause) {
        return new DownloadFailedException("object " + bucket + '/' + key + " changed while it was read (ETag " + etag
                + (newEtag == null ? ", 412 Precondition Failed" : " is now " + newEtag) + " at byte " + position
                + "); the run fails and the new version is read from its start on a later poll", cause);
    }

    private static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DownloadFailedException("interrupted while resuming the S3 download of " + bucket + '/' + key, e);
        }
    }

    /**
     * At least 1 while the object has bytes not yet delivered: GZIPInputStream asks this after each gzip member to
     * decide whether another follows, and a 0 between network packets would end a multi-member object early.
     */
    @Override
    public int available() {
        if (closed || size < 0 || position >= size) {
            return 0;
        }
        int buffered;
        try {
            buffered = current.available();
        } catch (IOException e) {
            buffered = 0;
        }
        return (int) Math.max(1, Math.min(buffered, size - position));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            if (size >= 0 && position < size) {
                current.abort(); // unread bytes left: do not drain them to reuse the connection
            } else {
                try {
                    current.close();
                } catch (IOException ignored) {
                    // all delivered; a failing close changes nothing
                }
            }
        }
    }
}
