package dev.ferry.bench;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Test data for {@code bench/s3-to-opensearch.sh}: N documents of about 500 bytes, the same ids for every tool.
 * <pre>
 * S3ToOpenSearchBenchData &lt;dir&gt; &lt;records&gt; &lt;curl-index&gt; [bucket key [parts-prefix parts]]
 *                         (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY)
 * </pre>
 * writes {@code dir/docs.ndjson} (Ferry's dump format, which elasticdump also reads), {@code dir/docs.ndjson.gz}
 * (uploaded to bucket/key for Ferry), {@code dir/chunks/*.ndjson} (_bulk bodies of at most 5 MB for curl) and, with
 * parts, the same documents again as that many smaller gzipped objects (uploaded under bucket/parts-prefix).
 */
public final class S3ToOpenSearchBenchData {

    private static final int CHUNK_BYTES = 5 * 1024 * 1024;

    private S3ToOpenSearchBenchData() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        long records = Long.parseLong(args[1]);
        String curlIndex = args[2];
        Path chunks = dir.resolve("chunks");
        Files.createDirectories(chunks);
        try (var list = Files.list(chunks)) {
            for (Path p : list.toList()) {
                Files.delete(p);
            }
        }
        int parts = args.length >= 7 ? Integer.parseInt(args[6]) : 0;
        Path partsDir = dir.resolve("parts");
        Files.createDirectories(partsDir);
        try (var list = Files.list(partsDir)) {
            for (Path p : list.toList()) {
                Files.delete(p);
            }
        }
        OutputStream part = null;
        int partNumber = 0;
        Random random = new Random(42);
        Path plain = dir.resolve("docs.ndjson");
        Path gz = dir.resolve("docs.ndjson.gz");
        try (OutputStream dump = new BufferedOutputStream(Files.newOutputStream(plain), 1 << 16);
             OutputStream zipped = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(gz), 1 << 16), 1 << 16)) {
            ChunkWriter chunk = new ChunkWriter(chunks);
            StringBuilder source = new StringBuilder(600);
            for (long i = 1; i <= records; i++) {
                source.setLength(0);
                source.append("{\"order\":\"o-").append(i).append("\",\"customer\":\"c-").append(random.nextInt(50_000))
                        .append("\",\"price\":").append(random.nextInt(100_000) / 100.0).append(",\"quantity\":")
                        .append(1 + random.nextInt(20)).append(",\"status\":\"")
                        .append(new String[] {"new", "paid", "shipped", "returned"}[random.nextInt(4)])
                        .append("\",\"created\":\"2026-0").append(1 + random.nextInt(9)).append("-1")
                        .append(random.nextInt(10)).append("T10:00:00Z\",\"note\":\"");
                while (source.length() < 470) {
                    source.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
                }
                source.append("\"}");
                String id = "doc-" + i;
                byte[] line = ("{\"_index\":\"bench\",\"_id\":\"" + id + "\",\"_source\":" + source + "}\n")
                        .getBytes(StandardCharsets.UTF_8);
                dump.write(line);
                zipped.write(line);
                if (parts > 0) {
                    int wanted = (int) ((i - 1) * parts / records) + 1; // contiguous, equal slices of the documents
                    if (wanted != partNumber) {
                        if (part != null) {
                            part.close();
                        }
                        partNumber = wanted;
                        part = new GZIPOutputStream(new BufferedOutputStream(Files.newOutputStream(
                                partsDir.resolve(String.format("part-%05d.ndjson.gz", partNumber))), 1 << 16), 1 << 16);
                    }
                    part.write(line);
                }
                chunk.add(("{\"index\":{\"_index\":\"" + curlIndex + "\",\"_id\":\"" + id + "\"}}\n" + source + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            chunk.close();
            if (part != null) {
                part.close();
            }
        }
        System.out.printf("wrote %d documents: %s (%d MB), %s (%d MB), chunks in %s%n", records, plain,
                Files.size(plain) >> 20, gz, Files.size(gz) >> 20, chunks);
        if (args.length >= 5) {
            try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(System.getenv("S3_ENDPOINT")))
                    .region(Region.US_EAST_1).forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(
                            System.getenv("S3_ACCESS_KEY"), System.getenv("S3_SECRET_KEY")))).build()) {
                for (String bucket : new String[] {args[3], args[3] + "-dead-letters"}) {
                    if (s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
                        s3.createBucket(b -> b.bucket(bucket));
                    }
                }
                s3.putObject(b -> b.bucket(args[3]).key(args[4]), RequestBody.fromFile(gz));
                System.out.println("uploaded s3://" + args[3] + "/" + args[4]);
                try (var list = Files.list(partsDir)) {
                    for (Path p : list.sorted().toList()) {
                        String key = args[5] + p.getFileName();
                        s3.putObject(b -> b.bucket(args[3]).key(key), RequestBody.fromFile(p));
                    }
                }
                if (parts > 0) {
                    System.out.println("uploaded " + parts + " objects to s3://" + args[3] + "/" + args[5]);
                }
            }
        }
    }

    private static final String[] WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"
            + " incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco").split(" ");

    /** _bulk bodies cut before they pass 5 MB. */
    private static final class ChunkWriter {
        private final Path dir;
        private OutputStream out;
        private long size;
        private int n;

        ChunkWriter(Path dir) {
            this.dir = dir;
        }

        void add(byte[] pair) throws IOException {
            if (out == null || size + pair.length > CHUNK_BYTES) {
                close();
                out = new BufferedOutputStream(Files.newOutputStream(dir.resolve(String.format("chunk-%05d.ndjson", ++n))), 1 << 16);
                size = 0;
            }
            out.write(pair);
            size += pair.length;
        }

        void close() throws IOException {
            if (out != null) {
                out.close();
                out = null;
            }
        }
    }
}
