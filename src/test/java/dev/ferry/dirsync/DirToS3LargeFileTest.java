package dev.ferry.dirsync;

import dev.ferry.accounting.RunAccount;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One 100 MB file (the only one in the suite): it goes up as a multipart upload with its SHA-256 in the metadata, an
 * edit made while it is going up is caught and uploaded again, and with the state lost it is recognised by content
 * with a single HEAD instead of being uploaded again.
 */
class DirToS3LargeFileTest {

    private static final int MB = 1024 * 1024;

    @TempDir
    Path work;

    @Test
    void aLargeFileGoesUpMultipartIsReUploadedWhenEditedMidUploadAndIsKnownByContentWithoutState() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "large");
        Path large = f.source.resolve("data/large.bin");
        Files.createDirectories(large.getParent());
        try {
            writePattern(large, 100);
            f.write("small.txt", "small");
            try (FerryUnderTest ferry = FerryUnderTest.start(f.settings())) {
                CompletableFuture<RunAccount> first = CompletableFuture.supplyAsync(() -> DirToS3Fixture.sync(ferry));
                // once its multipart upload is under way, the file is edited in place (same size)
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .until(() -> first.isDone() || !f.client().listMultipartUploads(b -> b.bucket(f.bucket))
                                .uploads().isEmpty());
                assertThat(first).as("the sync ended before its multipart upload was seen").isNotDone();
                try (RandomAccessFile raf = new RandomAccessFile(large.toFile(), "rw")) {
                    raf.seek(50L * MB);
                    raf.write("edited while uploading".getBytes(StandardCharsets.UTF_8));
                }
                RunAccount run = first.get(120, TimeUnit.SECONDS);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.written()).isEqualTo(2);
                assertThat(run.retried()).as("the upload done again after the edit").isGreaterThanOrEqualTo(1);
                assertThat(Files.size(large)).isEqualTo(100L * MB);

                String sha = DirToS3Fixture.sha256(large);
                assertThat(f.bucketBySha256()).containsEntry("data/large.bin", sha)
                        .containsEntry("small.txt", DirToS3Fixture.sha256("small"));
                HeadObjectResponse head = f.client().headObject(b -> b.bucket(f.bucket).key(f.prefix + "data/large.bin"));
                assertThat(head.eTag()).as("a multipart ETag, not the MD5").contains("-");
                assertThat(head.metadata()).containsEntry("ferry-sha256", sha);
                assertThat(f.client().listMultipartUploads(b -> b.bucket(f.bucket)).uploads())
                        .as("the interrupted upload was aborted, no orphan parts").isEmpty();

                RunAccount second = DirToS3Fixture.sync(ferry);
                assertThat(second.written()).isZero();
                assertThat(second.duplicate()).isEqualTo(2);
                assertThat(DirToS3Fixture.lastSync(ferry).heads()).isZero();

                // the state lost: each object is compared by its ferry-sha256, one HEAD each, nothing uploaded
                try (Stream<Path> states = Files.list(f.stateDir)) {
                    for (Path p : states.toList()) {
                        Files.delete(p);
                    }
                }
                RunAccount third = DirToS3Fixture.sync(ferry);
                assertThat(third.status()).as(third.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(third.written()).isZero();
                assertThat(third.duplicate()).isEqualTo(2);
                assertThat(DirToS3Fixture.lastSync(ferry).heads()).isEqualTo(2);
            }
        } finally {
            Files.deleteIfExists(large);
        }
    }

    /** size MB of a repeating pattern, written in 1 MB chunks (fast, and not all zeros). */
    private static void writePattern(Path file, int sizeMb) throws Exception {
        byte[] chunk = new byte[MB];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            for (int i = 0; i < sizeMb; i++) {
                for (int j = 0; j < chunk.length; j += 8) {
                    long v = (long) i * MB + j;
                    for (int k = 0; k < 8; k++) {
                        chunk[j + k] = (byte) (v >>> (8 * k));
                    }
                }
                raf.write(chunk);
            }
        }
    }
}
