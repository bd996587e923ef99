package dev.ferry.dirsync;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.testing.FerryUnderTest;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/** A bucket in the shared S3Proxy, a source directory, and readers comparing the two by content. */
final class DirToS3Fixture {

    private static final AtomicInteger SEQ = new AtomicInteger();

    final S3ProxyServer s3;
    final String bucket;
    final String prefix = "site/";
    final Path source;
    final Path stateDir;

    DirToS3Fixture(Path work, String name) throws IOException {
        this(work, name, EmbeddedServices.shared().s3());
    }

    /** Against another S3Proxy than the shared one (one with other limits). */
    DirToS3Fixture(Path work, String name, S3ProxyServer s3) throws IOException {
        this.s3 = s3;
        this.bucket = ("d-" + name + "-" + SEQ.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 1_000_000, 36))
                .toLowerCase(Locale.ROOT);
        s3.client().createBucket(b -> b.bucket(bucket));
        this.source = Files.createDirectories(work.resolve("source"));
        this.stateDir = work.resolve("state");
    }

    /** The pipeline on, pointed at this bucket and directory; no schedule firing during a test. */
    Map<String, String> settings() {
        Map<String, String> o = new HashMap<>();
        o.put("ferry.dir-to-s3.enabled", "true");
        o.put("ferry.dir-to-s3.source-dir", source.toString());
        o.put("ferry.dir-to-s3.bucket", bucket);
        o.put("ferry.dir-to-s3.prefix", prefix);
        o.put("ferry.dir-to-s3.state-dir", stateDir.toString());
        o.put("ferry.dir-to-s3.schedule", "0 0 0 1 1 ? 2099");
        o.put("ferry.dir-to-s3.parallel-uploads", "3");
        o.put("ferry.dir-to-s3.progress-every-seconds", "1");
        o.put("ferry.s3.endpoint", s3.endpoint().toString());
        o.put("ferry.s3.path-style", "true");
        o.put("ferry.s3.region", s3.region());
        o.put("ferry.s3.access-key", s3.accessKey());
        o.put("ferry.s3.secret-key", s3.secretKey());
        o.put("ferry.retry.max-attempts", "2");
        o.put("ferry.retry.initial-delay-ms", "20");
        o.put("ferry.retry.max-delay-ms", "100");
        return o;
    }

    static RunAccount sync(FerryUnderTest ferry) {
        return ferry.camelContext().createProducerTemplate().requestBody("direct:dir-to-s3-sync", null, RunAccount.class);
    }

    static DirSync.Sync lastSync(FerryUnderTest ferry) {
        return ferry.bean("dirToS3Sync", DirSync.class).last();
    }

    Path write(String relPath, String content) throws IOException {
        Path p = source.resolve(relPath);
        Files.createDirectories(p.getParent());
        return Files.writeString(p, content);
    }

    S3Client client() {
        return s3.client();
    }

    /** Every object under the prefix: relative key -> SHA-256 of its content (read back in full). */
    Map<String, String> bucketBySha256() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (S3Object o : client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            try (ResponseInputStream<GetObjectResponse> in = client().getObject(b -> b.bucket(bucket).key(o.key()))) {
                out.put(o.key().substring(prefix.length()), sha256(in));
            }
        }
        return out;
    }

    static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in);
        }
    }

    static String sha256(String content) throws Exception {
        return sha256(new java.io.ByteArrayInputStream(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
