package dev.ferry.dirsync;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 * run's state kept the rest) and the bucket equals the directory.
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
}
