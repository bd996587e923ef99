package dev.ferry.dump;

import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** A part larger than the multipart size goes up in pieces read from their ranges of the spool file, byte for byte. */
class PartUploaderTest {

    @TempDir
    Path work;

    @Test
    void aLargePartGoesUpInPiecesAndArrivesWhole() throws Exception {
        S3ProxyServer s3 = EmbeddedServices.shared().s3();
        String bucket = "part-uploader-" + Long.toString(System.nanoTime() % 1_000_000, 36);
        s3.client().createBucket(b -> b.bucket(bucket));
        byte[] content = new byte[12 * 1024 * 1024 + 12_345]; // three pieces of 5 MiB, the last one short
        new Random(7).nextBytes(content);
        Path file = Files.write(work.resolve("part-00001.ndjson.gz"), content);
        SpooledPart part = new SpooledPart(1, 0, file, 42, content.length, DumpFixture.sha256(content), null, PartCompression.GZIP);

        new PartUploader(s3.client(), 5L * 1024 * 1024).upload(bucket, "dumps/part-00001.ndjson.gz", part);

        ResponseBytes<GetObjectResponse> stored = s3.client().getObjectAsBytes(b -> b.bucket(bucket).key("dumps/part-00001.ndjson.gz"));
        assertThat(stored.asByteArray()).isEqualTo(content);
        assertThat(stored.response().eTag()).as("a multipart ETag").endsWith("-3\"");
        assertThat(stored.response().metadata()).containsEntry("sha256", part.sha256()).containsEntry("documents", "42");
    }
}
