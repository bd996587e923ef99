package dev.ferry.dirsync;

import dev.ferry.ExitStatus;
import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * dir-to-s3 against the shared S3Proxy with real files: the bucket ends equal to the directory by content, and each
 * change (a same-size edit, a touch, a rename, a delete) moves exactly what it should; the counts add up.
 */
class DirToS3Test {

    @TempDir
    Path work;

    @Test
    void mirrorsATreeThenUploadsOnlyWhatChangedByContent() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "tree");
        Map<String, String> expected = new TreeMap<>(); // relative key -> content
        expected.put("index.html", "<h1>home</h1>");
        expected.put("a/b/c/deep.txt", "deep");
        expected.put("Grüße/東京 report.csv", "x,y\n1,2\n");
        expected.put("with space/file name.txt", "spaces");
        expected.put("empty.txt", "");
        expected.put("same-size.txt", "version-1");
        expected.put("mtime-restored.txt", "aaaa");
        expected.put("rename-me.txt", "renamed content");
        expected.put("delete-me.txt", "gone soon");
        expected.put("by-another-tool.txt", "put by aws s3 cp");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            f.write(e.getKey(), e.getValue());
        }
        // a file symlink is followed (its target's content under the link's name); a directory symlink is not
        Files.createSymbolicLink(f.source.resolve("link-to-index.html"), f.source.resolve("index.html"));
        expected.put("link-to-index.html", "<h1>home</h1>");
        Files.createSymbolicLink(f.source.resolve("loop"), f.source.resolve("a"));
        // an object another tool put in one request, same content: its ETag is the MD5, so it is not uploaded again
        f.client().putObject(b -> b.bucket(f.bucket).key(f.prefix + "by-another-tool.txt"),
                RequestBody.fromString("put by aws s3 cp"));

        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.delete", "true");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            RunAccount first = DirToS3Fixture.sync(ferry);
            assertThat(first.status()).as(first.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            int files = expected.size(); // 11 files (the link included) + the directory link
            assertThat(first.read()).isEqualTo(files + 1);
            assertThat(first.written()).isEqualTo(files - 1);
            assertThat(first.duplicate()).as("the other tool's identical object").isEqualTo(1);
            assertThat(first.filtered()).as("the directory symlink").isEqualTo(1);
            assertThat(first.deadLettered()).isZero();
            assertBucketEquals(f, expected);
            HeadObjectResponse html = f.client().headObject(b -> b.bucket(f.bucket).key(f.prefix + "index.html"));
            assertThat(html.contentType()).startsWith("text/html");
            assertThat(html.metadata()).containsEntry("ferry-sha256", DirToS3Fixture.sha256("<h1>home</h1>"));

            RunAccount second = DirToS3Fixture.sync(ferry);
            assertThat(second.status()).as(second.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(second.written()).isZero();
            assertThat(second.duplicate()).isEqualTo(files);
            assertThat(DirToS3Fixture.lastSync(ferry).heads()).as("no HEAD when state and listing agree").isZero();

            // a same-size edit within the same second as the first write, a touch without change, a rename, a delete
            Path sameSize = f.write("same-size.txt", "version-2");
            expected.put("same-size.txt", "version-2");
            // a same-size edit that puts the old mtime back (cp -p, touch -d): the change time still moves
            Path restored = f.source.resolve("mtime-restored.txt");
            FileTime oldMtime = Files.getLastModifiedTime(restored);
            f.write("mtime-restored.txt", "bbbb");
            Files.setLastModifiedTime(restored, oldMtime);
            expected.put("mtime-restored.txt", "bbbb");
            Path touched = f.source.resolve("with space/file name.txt");
            Files.setLastModifiedTime(touched, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
            Files.move(f.source.resolve("rename-me.txt"), f.source.resolve("renamed.txt"));
            expected.put("renamed.txt", expected.remove("rename-me.txt"));
            Files.delete(f.source.resolve("delete-me.txt"));
            expected.remove("delete-me.txt");
            assertThat(Files.size(sameSize)).isEqualTo("version-1".length());

            RunAccount third = DirToS3Fixture.sync(ferry);
            DirSync.Sync sync = DirToS3Fixture.lastSync(ferry);
            assertThat(third.status()).as(third.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(third.written()).as("the two edits and the renamed file").isEqualTo(3);
            assertThat(third.duplicate()).as("everything else, the touched file included").isEqualTo(expected.size() - 3);
            assertThat(third.read()).isEqualTo(third.written() + third.duplicate() + third.filtered() + third.deadLettered());
            assertThat(sync.deleted()).as("rename-me.txt and delete-me.txt").isEqualTo(2);
            assertThat(sync.deleteRequests()).as("both in one DeleteObjects request").isEqualTo(1);
            assertThat(sync.deleteFailures()).isEmpty();
            assertThat(sync.plannedDeletes()).containsExactly(f.prefix + "delete-me.txt", f.prefix + "rename-me.txt");
            assertBucketEquals(f, expected);

            String metrics = ferry.get("metrics").body();
            assertThat(metrics).contains("ferry_records_read_total{pipeline=\"dir-to-s3\"} "
                            + (first.read() + second.read() + third.read()) + ".0")
                    .contains("ferry_records_written_total{pipeline=\"dir-to-s3\"} "
                            + (first.written() + third.written()) + ".0")
                    .contains("ferry_dir_to_s3_deleted_objects_total{pipeline=\"dir-to-s3\"} 2.0")
                    .contains("ferry_runs_succeeded_total{pipeline=\"dir-to-s3\"} 3.0");
        }
    }

    @Test
    void anUnreadableFileFailsWithItsReasonTheRestGoesUpAndTheOneShotExitsNonZero() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "unreadable");
        f.write("ok-1.txt", "one");
        f.write("sub/ok-2.txt", "two");
        Path root = f.source.toRealPath();
        Files.createSymbolicLink(f.source.resolve("broken-link"), f.source.resolve("nowhere"));
        Path secret = f.write("secret.txt", "locked");
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
        boolean canStillRead = Files.isReadable(secret); // root reads through chmod 000
        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.one-shot", "true");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            ExitStatus exit = ferry.bean(ExitStatus.BEAN, ExitStatus.class);
            await().atMost(Duration.ofSeconds(60)).until(() -> exit.code().isPresent());
            DirSync.Sync sync = DirToS3Fixture.lastSync(ferry);
            RunAccount run = sync.run();
            assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(exit.code().getAsInt()).as("a failed file makes the one-shot exit non-zero").isEqualTo(1);
            assertThat(run.read()).isEqualTo(4);
            assertThat(run.read()).isEqualTo(run.written() + run.duplicate() + run.filtered() + run.deadLettered());
            assertThat(sync.failures()).contains("cannot read " + root.resolve("broken-link") + ": broken symbolic link");
            assertThat(run.failure()).contains("file(s) failed").contains("broken-link: broken symbolic link");
            assertThat(f.bucketBySha256()).containsEntry("ok-1.txt", DirToS3Fixture.sha256("one"))
                    .containsEntry("sub/ok-2.txt", DirToS3Fixture.sha256("two"));
            Assumptions.assumeFalse(canStillRead, "running as root: chmod 000 does not stop reading, so secret.txt goes up");
            assertThat(run.written()).isEqualTo(2);
            assertThat(run.deadLettered()).isEqualTo(2);
            assertThat(sync.failures()).contains("cannot read " + root.resolve("secret.txt") + ": permission denied");
            assertThat(run.failure()).contains("2 file(s) failed").contains("secret.txt: permission denied");
        } finally {
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void anEmptyOrMissingSourceOrTooManyDeletesDeleteNothingAndFailLoudly() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "guards");
        for (int i = 0; i < 4; i++) {
            f.write("f" + i + ".txt", "file " + i);
        }
        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.delete", "true");
        settings.put("ferry.dir-to-s3.max-delete", "2");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            assertThat(DirToS3Fixture.sync(ferry).written()).isEqualTo(4);
            Map<String, String> before = f.bucketBySha256();
            assertThat(before).hasSize(4);

            // three files gone, max-delete 2: refused before anything changes (the new file is not uploaded either)
            for (int i = 0; i < 3; i++) {
                Files.delete(f.source.resolve("f" + i + ".txt"));
            }
            f.write("new.txt", "new");
            RunAccount tooMany = DirToS3Fixture.sync(ferry);
            assertThat(tooMany.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(tooMany.failure()).contains("would delete 3 object(s)").contains("max-delete=2");
            assertThat(f.bucketBySha256()).isEqualTo(before);

            Files.delete(f.source.resolve("f3.txt"));
            Files.delete(f.source.resolve("new.txt"));
            RunAccount empty = DirToS3Fixture.sync(ferry);
            assertThat(empty.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(empty.failure()).contains("has no file to mirror").contains("nothing deleted");
            assertThat(f.bucketBySha256()).isEqualTo(before);

            Files.delete(f.source);
            RunAccount missing = DirToS3Fixture.sync(ferry);
            assertThat(missing.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(missing.failure()).contains("is missing or not a directory").contains("nothing deleted");
            assertThat(f.bucketBySha256()).isEqualTo(before);
            assertThat(ferry.get("metrics").body()).contains("ferry_runs_failed_total{pipeline=\"dir-to-s3\"} 3.0");
        }
    }

    @Test
    void deletesGoInBatchesOfDeleteBatchKeys() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "batches");
        for (int i = 0; i < 6; i++) {
            f.write("f" + i + ".txt", "file " + i);
        }
        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.delete", "true");
        settings.put("ferry.dir-to-s3.delete-batch", "2");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            assertThat(DirToS3Fixture.sync(ferry).written()).isEqualTo(6);
            for (int i = 0; i < 5; i++) {
                Files.delete(f.source.resolve("f" + i + ".txt"));
            }
            RunAccount run = DirToS3Fixture.sync(ferry);
            DirSync.Sync sync = DirToS3Fixture.lastSync(ferry);
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(sync.deleted()).isEqualTo(5);
            assertThat(sync.deleteRequests()).as("2 + 2 + 1 keys").isEqualTo(3);
            assertThat(f.bucketBySha256()).containsOnlyKeys("f5.txt");
        }
    }

    /**
     * A file S3 refuses (here: larger than this S3Proxy's 1000-byte limit for a single put, EntityTooLarge 400) fails
     * at once with S3's reason, not retried, and the rest of the sync goes on; so does a file whose key would be
     * longer than S3's 1024 bytes, failed before any request. Deletes wait for a sync without failures; the run fails
     * naming both files.
     */
    @Test
    void aFileS3RefusesOrWhoseKeyIsTooLongFailsWithTheReasonAndTheRestGoesUp() throws Exception {
        try (S3ProxyServer strict = S3ProxyServer.start("filesystem",
                Map.of("s3proxy.max-single-part-object-size", "1000"))) {
            DirToS3Fixture f = new DirToS3Fixture(work, "refused", strict);
            f.write("ok.txt", "fine");
            f.write("sub/stays.txt", "stays");
            Path tooLarge = f.write("too-large.bin", "x".repeat(2000));
            String dir = "d".repeat(200);
            String tooLong = String.join("/", dir, dir, dir, dir, dir, "key-too-long.txt");
            int keyBytes = (f.prefix + tooLong).getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            assertThat(keyBytes).isEqualTo(1026); // S3 takes 1024
            f.write(tooLong, "refused before any request");
            f.client().putObject(b -> b.bucket(f.bucket).key(f.prefix + "stale.txt"), RequestBody.fromString("stale"));
            Map<String, String> settings = f.settings();
            settings.put("ferry.dir-to-s3.delete", "true");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = DirToS3Fixture.sync(ferry);
                DirSync.Sync sync = DirToS3Fixture.lastSync(ferry);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.read()).isEqualTo(4);
                assertThat(run.written()).isEqualTo(2);
                assertThat(run.deadLettered()).isEqualTo(2);
                assertThat(run.retried()).as("a refusal is not retried").isZero();
                Path root = f.source.toRealPath();
                assertThat(sync.failures()).hasSize(2)
                        .anySatisfy(r -> assertThat(r).startsWith(root.resolve("too-large.bin") + ": S3 refused s3://"
                                + f.bucket + "/" + f.prefix + "too-large.bin (EntityTooLarge 400"))
                        .anySatisfy(r -> assertThat(r).isEqualTo("cannot upload " + root.resolve(tooLong)
                                + ": its key is 1026 bytes (UTF-8), longer than S3's limit of 1024 (shorten the path or"
                                + " the prefix)"));
                assertThat(run.failure()).contains("2 file(s) failed").contains("too-large.bin: S3 refused");
                assertThat(sync.deleted()).as("deletes wait for a sync without failures").isZero();
                assertThat(f.bucketBySha256()).containsOnlyKeys("ok.txt", "sub/stays.txt", "stale.txt");
                assertThat(Files.size(tooLarge)).isEqualTo(2000);
            }
        }
    }

    @Test
    void aDryRunPlansUploadsAndDeletesAndChangesNothing() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "dryrun");
        f.write("keep.txt", "keep");
        f.write("new.txt", "twelve bytes");
        f.client().putObject(b -> b.bucket(f.bucket).key(f.prefix + "keep.txt"), RequestBody.fromString("keep"));
        f.client().putObject(b -> b.bucket(f.bucket).key(f.prefix + "stale.txt"), RequestBody.fromString("stale"));
        Map<String, String> before = f.bucketBySha256();
        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.delete", "true");
        settings.put("ferry.dir-to-s3.dry-run", "true");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            RunAccount run = DirToS3Fixture.sync(ferry);
            DirSync.Sync sync = DirToS3Fixture.lastSync(ferry);
            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(sync.wouldUpload()).isEqualTo(1);
            assertThat(sync.wouldUploadBytes()).isEqualTo(12);
            assertThat(sync.plannedDeletes()).containsExactly(f.prefix + "stale.txt");
            assertThat(run.written()).isZero();
            assertThat(run.duplicate()).isEqualTo(1);
            assertThat(sync.deleted()).isZero();
            assertThat(f.bucketBySha256()).isEqualTo(before);
            assertThat(f.stateDir).doesNotExist();
        }
    }

    @Test
    void withWatchNewAndChangedFilesAreSyncedOnceTheSourceIsQuietAndASyncTriggeredMeanwhileWaitsItsTurn() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "watch");
        f.write("first.txt", "one");
        Map<String, String> settings = f.settings();
        settings.put("ferry.dir-to-s3.watch", "true");
        settings.put("ferry.dir-to-s3.watch-poll-ms", "200");
        settings.put("ferry.dir-to-s3.watch-quiet-ms", "600");
        settings.put("ferry.dir-to-s3.multipart-threshold", String.valueOf(5 * 1024 * 1024));
        settings.put("ferry.dir-to-s3.multipart-part-bytes", String.valueOf(5 * 1024 * 1024));
        Map<String, String> expected = new TreeMap<>(Map.of("first.txt", "one"));
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            // the first poll finds every file new: one full sync, with no call from the test
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertBucketEquals(f, expected));
            await().atMost(Duration.ofSeconds(5)).until(() -> syncs(ferry, "succeeded") == 1);

            // a burst of files written together, and a same-size edit: one more sync, not one per file
            for (int i = 1; i <= 5; i++) {
                expected.put("burst/" + i + ".txt", "file " + i);
                f.write("burst/" + i + ".txt", "file " + i);
            }
            f.write("first.txt", "two");
            expected.put("first.txt", "two");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertBucketEquals(f, expected));
            await().atMost(Duration.ofSeconds(5)).until(() -> DirToS3Fixture.lastSync(ferry).run().status() != RunAccount.Status.RUNNING);
            Thread.sleep(1_000); // longer than a poll and the quiet time: nothing more starts
            assertThat(syncs(ferry, "succeeded")).as("one sync for the burst").isEqualTo(2);
            RunAccount burst = DirToS3Fixture.lastSync(ferry).run();
            assertThat(burst.written()).isEqualTo(6);
            assertThat(burst.duplicate()).isZero();

            // a sync asked for while another runs (here, while a 30 MB file goes up in pieces) waits for it to end,
            // then finds everything in step: before, the second was refused and its run failed
            java.nio.file.Path big = f.source.resolve("big.bin");
            byte[] block = new byte[1024 * 1024];
            new java.util.Random(7).nextBytes(block);
            try (java.io.OutputStream out = Files.newOutputStream(big)) {
                for (int i = 0; i < 30; i++) {
                    out.write(block);
                }
            }
            DirSync dirSync = ferry.bean("dirToS3Sync", DirSync.class);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(dirSync::running);
            RunAccount second = DirToS3Fixture.sync(ferry); // the watch's sync of big.bin is running
            assertThat(second.status()).as(second.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(second.written()).as("big.bin went up in the sync it waited for").isZero();
            assertThat(second.duplicate()).isEqualTo(7);
            assertThat(f.bucketBySha256()).containsEntry("big.bin", DirToS3Fixture.sha256(big));
            assertThat(syncs(ferry, "succeeded")).isEqualTo(4);
            assertThat(syncs(ferry, "failed")).isZero();
        }
    }

    /** Runs of dir-to-s3 that ended so ({@code succeeded}, {@code failed}), from the metrics. */
    private static long syncs(FerryUnderTest ferry, String ended) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("ferry_runs_" + ended + "_total\\{pipeline=\"dir-to-s3\"} ([0-9.]+)")
                .matcher(ferry.get("metrics").body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
    }

    private static void assertBucketEquals(DirToS3Fixture f, Map<String, String> expected) throws Exception {
        Map<String, String> bySha = new TreeMap<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            bySha.put(e.getKey(), DirToS3Fixture.sha256(e.getValue()));
        }
        Map<String, String> bucket;
        try {
            bucket = f.bucketBySha256();
        } catch (software.amazon.awssdk.services.s3.model.NoSuchKeyException e) {
            // listed, then gone when read: S3Proxy's file store replaces an object being uploaded again, and a sync
            // is running; not in step yet (the awaits calling this retry on an AssertionError)
            throw new AssertionError("an object was replaced while the bucket was read: a sync is in progress", e);
        }
        assertThat(bucket).isEqualTo(bySha);
    }
}
