package dev.ferry.s3;

import dev.ferry.config.DumpPartMetadata;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.embedded.S3ProxyServer;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Resuming a broken S3 download against a real S3Proxy, with faults injected by a TCP proxy in between. */
class ResumingObjectStreamTest {

    private static final AtomicInteger SEQ = new AtomicInteger();

    private final S3ProxyServer s3 = EmbeddedServices.shared().s3();
    private final String bucket = "resume-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();

    ResumingObjectStreamTest() {
        s3.client().createBucket(b -> b.bucket(bucket));
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    private void put(String key, byte[] bytes) {
        s3.client().putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    }

    private static S3Client client(URI endpoint) {
        return S3Client.builder().endpointOverride(endpoint).region(Region.of(S3ProxyServer.REGION)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3ProxyServer.ACCESS_KEY,
                        S3ProxyServer.SECRET_KEY)))
                .httpClientBuilder(ApacheHttpClient.builder().socketTimeout(Duration.ofMillis(800)))
                .build();
    }

    private static byte[] readAll(InputStream in) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    /** What resuming relies on: S3Proxy serves Range from an offset, and refuses If-Match on another ETag with 412. */
    @Test
    void s3ProxyHonoursRangeAndIfMatch() throws Exception {
        byte[] bytes = randomBytes(100_000);
        put("a.bin", bytes);
        String etag = s3.client().headObject(h -> h.bucket(bucket).key("a.bin")).eTag();
        var ranged = s3.client().getObjectAsBytes(g -> g.bucket(bucket).key("a.bin").range("bytes=40000-").ifMatch(etag));
        assertThat(ranged.asByteArray()).isEqualTo(java.util.Arrays.copyOfRange(bytes, 40_000, 100_000));
        assertThat(ranged.response().contentRange()).startsWith("bytes 40000-99999");
        assertThat(ranged.response().eTag()).isEqualTo(etag);
        assertThatThrownBy(() -> s3.client().getObjectAsBytes(g -> g.bucket(bucket).key("a.bin").range("bytes=40000-")
                .ifMatch("\"0123456789abcdef0123456789abcdef\"")))
                .isInstanceOfSatisfying(S3Exception.class, e -> assertThat(e.statusCode()).isEqualTo(412));
    }

    @Test
    void aDownloadResetMidObjectIsResumedAndEveryByteArrivesOnceInOrder() throws Exception {
        byte[] bytes = randomBytes(600_000);
        put("cut.bin", bytes);
        try (FaultProxy proxy = new FaultProxy(s3.endpoint()); S3Client client = client(proxy.endpoint())) {
            proxy.cutAfter(150_000);
            ResumingObjectStream in = new ResumingObjectStream(client, bucket, "cut.bin", 3, 10, 100);
            assertThat(readAll(in)).isEqualTo(bytes);
            assertThat(proxy.cuts()).isEqualTo(1);
            assertThat(in.resumes()).isEqualTo(1);
            assertThat(in.position()).isEqualTo(bytes.length);
            in.close();
        }
    }

    @Test
    void aDownloadThatGoesSilentIsResumedAfterTheReadTimeout() throws Exception {
        byte[] bytes = randomBytes(400_000);
        put("silent.bin", bytes);
        try (FaultProxy proxy = new FaultProxy(s3.endpoint()); S3Client client = client(proxy.endpoint())) {
            proxy.stallAfter(100_000);
            ResumingObjectStream in = new ResumingObjectStream(client, bucket, "silent.bin", 3, 10, 100);
            assertThat(readAll(in)).isEqualTo(bytes);
            assertThat(proxy.stallsHit()).isEqualTo(1);
            assertThat(in.resumes()).isEqualTo(1);
        }
    }

    @Test
    void aGzipStreamReadThroughACutDecompressesToTheSameLinesAndTheDamageCheckSeesNothing() throws Exception {
        StringBuilder text = new StringBuilder();
        Random random = new Random(7);
        for (int i = 1; i <= 20_000; i++) {
            text.append("{\"n\":").append(i).append(",\"r\":\"").append(Long.toHexString(random.nextLong())).append("\"}\n");
        }
        byte[] gz = NdjsonBatchesTest.gzip(text.toString().getBytes());
        put("lines.ndjson.gz", gz);
        try (FaultProxy proxy = new FaultProxy(s3.endpoint()); S3Client client = client(proxy.endpoint())) {
            proxy.cutAfter(gz.length / 3);
            ResumingObjectStream in = new ResumingObjectStream(client, bucket, "lines.ndjson.gz", 3, 10, 100);
            NdjsonBatches batches = new NdjsonBatches(in, in.size(), 1000, 1 << 20, 1 << 20);
            long last = 0;
            while (batches.hasNext()) {
                List<SourceLine> batch = batches.next();
                for (SourceLine line : batch) {
                    assertThat(line.number()).isEqualTo(++last);
                }
            }
            assertThat(batches.damage()).isNull();
            assertThat(last).isEqualTo(20_000);
            assertThat(proxy.cuts()).isEqualTo(1);
            assertThat(in.resumes()).isEqualTo(1);
        }
    }

    @Test
    void anObjectReplacedWhileItIsReadFailsTheDownloadInsteadOfSplicingTwoVersions() throws Exception {
        byte[] first = randomBytes(300_000);
        put("changed.bin", first);
        try (FaultProxy proxy = new FaultProxy(s3.endpoint()); S3Client client = client(proxy.endpoint())) {
            proxy.cutAfter(100_000);
            ResumingObjectStream in = new ResumingObjectStream(client, bucket, "changed.bin", 3, 10, 100);
            byte[] head = in.readNBytes(20_000);
            assertThat(head).isEqualTo(java.util.Arrays.copyOf(first, 20_000));
            put("changed.bin", randomBytes(300_001)); // a new version, written before the cut is met
            assertThatThrownBy(() -> readAll(in)).isInstanceOf(ResumingObjectStream.DownloadFailedException.class)
                    .hasMessageContaining("changed while it was read").hasMessageContaining("412");
        }
    }

    @Test
    void whenS3StaysUnreachableTheDownloadFailsAfterItsAttemptsAndIsNeverTakenForDamage() throws Exception {
        byte[] bytes = randomBytes(300_000);
        put("gone.bin", bytes);
        try (FaultProxy proxy = new FaultProxy(s3.endpoint()); S3Client client = client(proxy.endpoint())) {
            proxy.stallAfter(50_000); // the client holds at most this much when S3 goes away
            ResumingObjectStream in = new ResumingObjectStream(client, bucket, "gone.bin", 2, 10, 50);
            in.readNBytes(10_000);
            proxy.refuse();
            assertThatThrownBy(() -> readAll(in)).isInstanceOf(ResumingObjectStream.DownloadFailedException.class)
                    .hasMessageContaining("could not be resumed in 2 attempt(s)");
        }
    }

    /**
     * A part of a Ferry dump carries its document count and the SHA-256 of its bytes (x-amz-meta-documents, -sha256);
     * read to its end, it is compared with both: the same count with other bytes is a part replaced since its dump.
     * An object without that metadata is not checked, nor one whose bytes have not all been delivered.
     */
    @Test
    void aDumpPartIsComparedWithTheCountAndSha256ItsDumpStoredWithIt() throws Exception {
        byte[] bytes = "{\"_id\":\"a\"}\n{\"_id\":\"b\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        String sha256 = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        String other = "0".repeat(64);
        s3.client().putObject(b -> b.bucket(bucket).key("same.ndjson").metadata(java.util.Map.of("documents", "2",
                "sha256", sha256)), RequestBody.fromBytes(bytes));
        s3.client().putObject(b -> b.bucket(bucket).key("replaced.ndjson").metadata(java.util.Map.of("documents", "2",
                "sha256", other)), RequestBody.fromBytes(bytes));
        put("plain.ndjson", bytes);

        try (ResumingObjectStream same = new ResumingObjectStream(s3.client(), bucket, "same.ndjson", 3, 10, 100)) {
            assertThat(same.dumpPart()).isEqualTo(new DumpPartMetadata(2, sha256));
            assertThat(same.sha256OfDelivered()).as("not all delivered yet").isNull();
            readAll(same);
            assertThat(ObjectJobs.differsFromItsDump(same, 2)).isNull();
            // the bytes its dump wrote, lines broken inside a document (dead letters already): not a changed part
            assertThat(ObjectJobs.differsFromItsDump(same, 3)).isNull();
        }
        try (ResumingObjectStream replaced = new ResumingObjectStream(s3.client(), bucket, "replaced.ndjson", 3, 10, 100)) {
            readAll(replaced);
            assertThat(ObjectJobs.differsFromItsDump(replaced, 2)).isEqualTo("not the part its dump wrote: its bytes'"
                    + " SHA-256 is " + sha256 + ", the dump wrote " + other + " (x-amz-meta-sha256)");
            assertThat(ObjectJobs.differsFromItsDump(replaced, 1)).isEqualTo("not the part its dump wrote: 1 document(s)"
                    + " read, the dump wrote 2 (x-amz-meta-documents)");
        }
        // the metadata's name in another case (as some S3-compatible stores return it) is the same metadata
        assertThat(DumpPartMetadata.of(java.util.Map.of("Documents", "2", "SHA256", sha256)))
                .isEqualTo(new DumpPartMetadata(2, sha256));
        try (ResumingObjectStream plain = new ResumingObjectStream(s3.client(), bucket, "plain.ndjson", 3, 10, 100)) {
            readAll(plain);
            assertThat(plain.dumpPart()).isNull();
            assertThat(ObjectJobs.differsFromItsDump(plain, 7)).isNull();
        }
    }
}
