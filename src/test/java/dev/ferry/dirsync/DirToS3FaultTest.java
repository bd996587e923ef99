package dev.ferry.dirsync;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.testing.FerryUnderTest;
import dev.ferry.testing.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * S3 gone in the middle of a sync (connections refused by a fault-injecting proxy): the run fails
 * loudly with no file dead-lettered; once S3 is back the next sync uploads only what had not gone up (the failed
 * run's state kept the rest) and the bucket equals the directory. And the state's disk full: every file still goes up,
 * the run fails saying so, and the next sync (with room again) compares them by content, uploading none again.
 */
class DirToS3FaultTest {

    private static final int FILES = 300;

    @TempDir
    Path work;

    @Test
    void s3GoneMidSyncFailsTheRunWithNothingDeadLetteredAndTheNextSyncFinishesTheJob() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "fault");
        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < FILES; i++) {
            String rel = "part-" + (i % 3) + "/f-" + i + ".txt";
            f.write(rel, "content of file " + i);
            expected.put(rel, DirToS3Fixture.sha256("content of file " + i));
        }
        try (FaultProxy proxy = new FaultProxy(f.s3.endpoint())) {
            Map<String, String> settings = f.settings();
            settings.put("ferry.s3.endpoint", proxy.endpoint().toString());
            settings.put("ferry.dir-to-s3.parallel-uploads", "1");
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                CompletableFuture<RunAccount> first = CompletableFuture.supplyAsync(() -> DirToS3Fixture.sync(ferry));
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
                        .until(() -> first.isDone() || f.client().listObjectsV2(b -> b.bucket(f.bucket)).keyCount() >= 10);
                proxy.refuse();
                assertThat(first).as("the sync ended before S3 failed").isNotDone();
                RunAccount failed = first.get(120, TimeUnit.SECONDS);
                assertThat(failed.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(failed.deadLettered()).as("a server fault is never a failed file").isZero();
                assertThat(failed.written()).isBetween(10L, FILES - 1L);
                assertThat(failed.retried()).isPositive();
                assertThat(failed.failure()).startsWith("sync stopped by software.amazon.awssdk.core.exception.SdkClientException")
                        .contains("Connection refused").contains("the next sync does the rest");
                long upBeforeTheFault = failed.written();

                // still refused: the next sync fails at its plan, in the listing that runs beside the walk (the
                // state of the files that went up says how the prefix looks), loudly and with nothing uploaded
                RunAccount refusedAtPlan = DirToS3Fixture.sync(ferry);
                assertThat(refusedAtPlan.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(refusedAtPlan.written() + refusedAtPlan.duplicate() + refusedAtPlan.deadLettered()).isZero();
                assertThat(refusedAtPlan.failure()).contains("SdkClientException").contains("Connection refused");

                proxy.restore();
                RunAccount second = DirToS3Fixture.sync(ferry);
                assertThat(second.status()).as(second.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(second.written() + second.duplicate()).isEqualTo(FILES);
                assertThat(second.duplicate()).as("uploaded before the fault, known from the saved state")
                        .isGreaterThanOrEqualTo(upBeforeTheFault);
            }
        }
        assertThat(f.bucketBySha256()).isEqualTo(expected);
    }

    /**
     * A real full disk under the state: a 1 MiB tmpfs, nearly filled by another file. Needs root (mount); skipped
     * otherwise. The state of 600 files (~70 KB) fits in neither the save after 500 files nor the one at the end.
     */
    @Test
    void aFullStateDiskFailsTheSyncSayingSoWithEveryFileUploadedAndCountedOnce() throws Exception {
        DirToS3Fixture f = new DirToS3Fixture(work, "state-full");
        Map<String, String> expected = new TreeMap<>();
        for (int i = 0; i < 600; i++) {
            String rel = "d" + (i % 4) + "/f-" + i + ".txt";
            f.write(rel, "content " + i);
            expected.put(rel, DirToS3Fixture.sha256("content " + i));
        }
        try (SmallDisk disk = SmallDisk.mount(f.stateDir, "1m")) {
            Path filler = f.stateDir.resolve("other-data.bin");
            Files.write(filler, new byte[1024 * 1024 - 32 * 1024]); // leaves 32 KiB
            long room = Files.getFileStore(f.stateDir).getUsableSpace();
            try (FerryUnderTest ferry = FerryUnderTest.start(f.settings())) {
                RunAccount full = DirToS3Fixture.sync(ferry);
                assertThat(full.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(full.failure()).contains("cannot write the dir-to-s3 state").contains(f.stateDir.toString())
                        .contains("No space left on device").contains("the saves during the sync failed too")
                        .contains("the next sync compares");
                assertThat(full.written()).as("every file went up, each counted once").isEqualTo(600);
                assertThat(full.read()).isEqualTo(full.written() + full.duplicate() + full.filtered() + full.deadLettered());
                assertThat(full.retried()).as("a file is not retried for the state's disk").isZero();
                assertThat(f.bucketBySha256()).isEqualTo(expected);
                try (var left = Files.list(f.stateDir)) {
                    assertThat(left).as("no half-written state left taking the room").containsExactly(filler);
                }
                assertThat(Files.getFileStore(f.stateDir).getUsableSpace())
                        .as("the failed saves' files deleted and closed: a deleted file still open keeps its room")
                        .isEqualTo(room);

                Files.delete(filler); // room again
                RunAccount next = DirToS3Fixture.sync(ferry);
                assertThat(next.status()).as(next.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(next.written()).as("nothing uploaded again").isZero();
                assertThat(next.duplicate()).isEqualTo(600);
                assertThat(DirToS3Fixture.lastSync(ferry).heads()).as("compared by content, one HEAD each").isEqualTo(600);
                RunAccount third = DirToS3Fixture.sync(ferry);
                assertThat(third.duplicate()).isEqualTo(600);
                assertThat(DirToS3Fixture.lastSync(ferry).heads()).as("the state was saved").isZero();
            }
        }
        assertThat(f.bucketBySha256()).isEqualTo(expected);
    }
}
