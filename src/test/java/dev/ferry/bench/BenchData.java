package dev.ferry.bench;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Data and service chores for the benchmarks in bench/ (no timing here: bench/lib.sh measures whole processes).
 * <pre>
 * gen-docs N OBJECTS DIR       DIR/objects-OBJECTS/part-*.ndjson.gz (N docs of ~500 bytes, spread over OBJECTS),
 *                              DIR/bulk/chunk-*.ndjson (5 MB _bulk bodies), DIR/elasticdump.ndjson (its file format)
 * s3-put ENDPOINT KEY SECRET BUCKET PREFIX FILE...   creates the bucket, uploads the files under PREFIX
 * os-reset URL INDEX           deletes and creates INDEX (1 shard, 0 replicas, refresh 30s)
 * os-count URL INDEX           refreshes INDEX and prints its document count
 * </pre>
 */
public final class BenchData {

    private static final String[] WORDS = ("ferry river cargo manifest harbour tide crane pallet container lock quay "
            + "anchor vessel berth pilot tug ballast draft keel stern bow hull deck hatch winch cleat buoy").split(" ");
    private static final String[] LEVELS = {"INFO", "WARN", "ERROR", "DEBUG"};
    private static final long BULK_CHUNK_BYTES = 5L * 1024 * 1024;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private BenchData() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "gen-docs" -> genDocs(Long.parseLong(args[1]), Integer.parseInt(args[2]), Path.of(args[3]));
            case "s3-put" -> s3Put(args[1], args[2], args[3], args[4], args[5], List.of(args).subList(6, args.length));
            case "os-reset" -> osReset(args[1], args[2]);
            case "os-count" -> System.out.println(osCount(args[1], args[2]));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }

    /** One document of about 500 bytes, a pure function of its number. */
    static String doc(long n) {
        Random r = new Random(n * 7919L + 17);
        StringBuilder message = new StringBuilder(300);
        while (message.length() < 300) {
            message.append(WORDS[r.nextInt(WORDS.length)]).append(' ');
        }
        return "{\"seq\":" + n + ",\"@timestamp\":\"2026-11-" + String.format("%02d", 1 + (n % 28)) + "T"
                + String.format("%02d:%02d:%02d", (n / 3600) % 24, (n / 60) % 60, n % 60) + ".000Z\""
                + ",\"host\":\"host-" + (n % 97) + "\",\"level\":\"" + LEVELS[(int) (n % 4)] + "\""
                + ",\"message\":\"" + message.toString().trim() + "\""
                + ",\"user\":{\"id\":" + (n % 5000) + ",\"name\":\"user-" + (n % 5000) + "\"}"
                + ",\"metrics\":{\"latency_ms\":" + (r.nextInt(2000) / 10.0) + ",\"bytes\":" + r.nextInt(1_000_000) + "}"
                + ",\"tags\":[\"" + WORDS[r.nextInt(WORDS.length)] + "\",\"" + WORDS[r.nextInt(WORDS.length)] + "\"]}";
    }

    static void genDocs(long docs, int objects, Path dir) throws IOException {
        Path objectDir = Files.createDirectories(dir.resolve("objects-" + objects));
        long perObject = (docs + objects - 1) / objects;
        for (int o = 0; o < objects; o++) {
            try (OutputStream out = new BufferedOutputStream(new GZIPOutputStream(
                    Files.newOutputStream(objectDir.resolve(String.format("part-%05d.ndjson.gz", o))), 1 << 16), 1 << 16)) {
                for (long n = o * perObject; n < Math.min(docs, (o + 1) * perObject); n++) {
                    out.write(doc(n).getBytes(StandardCharsets.UTF_8));
                    out.write('\n');
                }
            }
        }
        Path bulkDir = Files.createDirectories(dir.resolve("bulk"));
        if (!Files.exists(dir.resolve("elasticdump.ndjson"))) {
            try (OutputStream dump = new BufferedOutputStream(Files.newOutputStream(dir.resolve("elasticdump.ndjson")), 1 << 16)) {
                int chunk = 0;
                long chunkBytes = 0;
                OutputStream bulk = null;
                for (long n = 0; n < docs; n++) {
                    String id = "doc-" + n;
                    String source = doc(n);
                    dump.write(("{\"_index\":\"bench\",\"_id\":\"" + id + "\",\"_source\":" + source + "}\n")
                            .getBytes(StandardCharsets.UTF_8));
                    if (bulk == null || chunkBytes >= BULK_CHUNK_BYTES) {
                        if (bulk != null) {
                            bulk.close();
                        }
                        bulk = new BufferedOutputStream(Files.newOutputStream(
                                bulkDir.resolve(String.format("chunk-%05d.ndjson", chunk++))), 1 << 16);
                        chunkBytes = 0;
                    }
                    byte[] lines = ("{\"index\":{\"_id\":\"" + id + "\"}}\n" + source + "\n").getBytes(StandardCharsets.UTF_8);
                    bulk.write(lines);
                    chunkBytes += lines.length;
                }
                if (bulk != null) {
                    bulk.close();
                }
            }
        }
    }

    static void s3Put(String endpoint, String key, String secret, String bucket, String prefix, List<String> files) {
        try (S3Client s3 = S3Client.builder().endpointOverride(URI.create(endpoint)).forcePathStyle(true)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret))).build()) {
            try {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (BucketAlreadyOwnedByYouException fine) {
                // reused between cases
            }
            for (String f : files) {
                Path file = Path.of(f);
                s3.putObject(b -> b.bucket(bucket).key(prefix + file.getFileName()), file);
            }
        }
    }

    static void osReset(String url, String index) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(url + "/" + index)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/" + index))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0,"
                        + "\"refresh_interval\":\"30s\"}}")).build(), HttpResponse.BodyHandlers.ofString());
        if (created.statusCode() != 200) {
            throw new IllegalStateException("create " + index + ": " + created.statusCode() + " " + created.body());
        }
    }

    static long osCount(String url, String index) throws Exception {
        HTTP.send(HttpRequest.newBuilder(URI.create(url + "/" + index + "/_refresh")).POST(HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.discarding());
        String body = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/" + index + "/_count")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return Long.parseLong(body.replaceAll(".*\"count\":(\\d+).*", "$1"));
    }
}
