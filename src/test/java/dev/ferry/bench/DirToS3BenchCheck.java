package dev.ferry.bench;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * bench/dir-to-s3.sh's referee: {@code ENDPOINT KEY SECRET DIR PREFIX BUCKET...} prints, per bucket, "equal" when the
 * objects under PREFIX are exactly the files under DIR by relative path and SHA-256, else "differs" and the first
 * differences (missing, extra, content).
 */
public final class DirToS3BenchCheck {

    private DirToS3BenchCheck() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[3]);
        String prefix = args[4];
        Map<String, String> local = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                try (InputStream in = Files.newInputStream(p)) {
                    local.put(dir.relativize(p).toString().replace('\\', '/'), sha256(in));
                }
            }
        }
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(args[0])).region(Region.US_EAST_1)
                .forcePathStyle(true).credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(args[1], args[2]))).build()) {
            for (int i = 5; i < args.length; i++) {
                String bucket = args[i];
                Map<String, String> remote = new TreeMap<>();
                for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
                    try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(o.key()))) {
                        remote.put(o.key().substring(prefix.length()), sha256(in));
                    }
                }
                if (remote.equals(local)) {
                    System.out.println(bucket + " equal " + remote.size() + " objects");
                } else {
                    StringBuilder diff = new StringBuilder();
                    local.forEach((k, v) -> {
                        if (!v.equals(remote.get(k)) && diff.length() < 300) {
                            diff.append(remote.containsKey(k) ? " content:" : " missing:").append(k);
                        }
                    });
                    remote.keySet().stream().filter(k -> !local.containsKey(k)).limit(5).forEach(k -> diff.append(" extra:").append(k));
                    System.out.println(bucket + " differs" + diff);
                }
            }
        }
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
