package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.config.DumpPartMetadata;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FaultProxy;
import dev.ferry.embedded.SqsServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * opensearch-to-s3 with a dump's slices shared by replicas through an SQS queue (ElasticMQ), against a real OpenSearch
 * node (an index of 3 shards: 3 slices) and a real S3Proxy: the replica that begins the dump only waits, the replicas
 * read its slices into their own parts, and the manifest holds every document once; a replica killed with kill -9
 * mid-slice leaves the slice to another, which resumes it from the slice's checkpoint.
 */
class OpenSearchToS3SharedSlicesTest {

    private static final int VISIBILITY_SECONDS = 10;
    private static final java.util.regex.Pattern SLICE_RUN = java.util.regex.Pattern.compile(" slice \\d+ of \\d+ -> ");

    @TempDir
    Path work;

    @Test
    void replicasReadTheSlicesAndTheManifestHoldsEveryDocumentOnce() throws Exception {
        SqsServer sqs = EmbeddedServices.shared().sqs();
        DumpFixture f = new DumpFixture("shared");
        int total = f.seed(1_500);
        String queue = sqs.createQueue("slices-" + UUID.randomUUID(), VISIBILITY_SECONDS, 3);
        Map<String, String> settings = settings(f, sqs, queue, work.resolve("a"));
        Map<String, String> otherSettings = follower(settings(f, sqs, queue, work.resolve("b")));
        // its own part size and compression level: a slice is cut as the dump's checkpoint says, on every replica
        otherSettings.put("ferry.opensearch-to-s3.part-max-docs", "1000");
        otherSettings.put("ferry.opensearch-to-s3.compression-level", "6");
        try (FerryUnderTest leader = FerryUnderTest.start(settings);
             FerryUnderTest other = FerryUnderTest.start(otherSettings)) {
            // a consumer asks for the next slice as soon as it is done with one (delay 0 would be Camel's 500 ms)
            org.apache.camel.support.ScheduledPollConsumer consumer = (org.apache.camel.support.ScheduledPollConsumer)
                    other.camelContext().getRoute("opensearch-to-s3-read-queued-slice").getConsumer();
            assertThat(consumer.isGreedy()).isTrue();
            assertThat(consumer.getDelay()).isBetween(1L, 1000L);
            // the leader only waits: the other replica reads every slice
            leader.camelContext().getRouteController().stopRoute("opensearch-to-s3-read-queued-slice");
            RunAccount run = OpenSearchToS3Test.dump(leader, f.index);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            String folder = f.dumpFolders("dumps").get(0);
            // every document once; the folder holds the manifest's parts and the manifest only (no checkpoints left)
            f.assertHoldsEveryDocumentOnce(folder, total);
            JsonNode manifest = f.json(folder + "manifest.json");
            assertThat(manifest.path("slicesShared").asBoolean()).isTrue();
            assertThat(manifest.path("documentsAtSnapshot").asLong()).isEqualTo(total);
            List<String> keys = new ArrayList<>();
            manifest.path("parts").forEach(p -> keys.add(p.path("key").asText()));
            // each slice's parts are numbered in its own range: part-<slice+1><NNNNNN>
            assertThat(keys).allMatch(k -> k.matches(java.util.regex.Pattern.quote(folder) + "part-[123]\\d{6}\\.ndjson\\.gz"));
            assertThat(keys.stream().map(k -> k.substring(folder.length() + 5, folder.length() + 6)).distinct())
                    .containsExactlyInAnyOrder("1", "2", "3");
            assertThat(manifest.path("parts")).allSatisfy(p -> assertThat(p.path("documents").asLong()).isLessThanOrEqualTo(120));
            assertThat(manifest.path("parts").size()).isGreaterThanOrEqualTo(total / 120);

            // the slices' own runs, on the reading replica: 3 succeeded, together exactly the snapshot's documents
            assertThat(sliceRuns(leader)).isEmpty();
            List<RunAccount> sliceRuns = sliceRuns(other);
            assertThat(sliceRuns).hasSize(3).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(RunAccount.Status.SUCCEEDED));
            assertThat(sliceRuns.stream().mapToLong(RunAccount::written).sum()).isEqualTo(total);
            assertThat(sliceRuns.stream().mapToLong(RunAccount::read).sum()).isEqualTo(total);
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);

            // a slice delivered again after its dump is complete, and a message that is no slice: both deleted, the
            // second with a failed run saying why; nothing is read again, the queue does not stick
            String late = "{\"format\":\"ferry-opensearch-dump-slice/1\",\"dump\":\"" + folder + "\",\"slice\":1}";
            sqs.client().sendMessage(b -> b.queueUrl(queue).messageBody(late));
            sqs.client().sendMessage(b -> b.queueUrl(queue).messageBody("{\"hello\":\"world\"}"));
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0
                    && rejected(leader).size() + rejected(other).size() == 1);
            List<RunAccount> rejected = new ArrayList<>(rejected(leader));
            rejected.addAll(rejected(other));
            assertThat(rejected).singleElement().satisfies(r -> {
                assertThat(r.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(r.failure()).contains("not a dump slice message").contains("hello");
            });
            assertThat(sliceRuns(leader).size() + sliceRuns(other).size()).isEqualTo(3);
            f.assertHoldsEveryDocumentOnce(folder, total);
        }
        assertThat(f.openPits()).as("the dump's point in time is closed").isZero();
    }

    /**
     * A replica killed with kill -9 mid-slice: its message comes back after the visibility timeout, a replica resumes
     * the slice from the slice's checkpoint (no part read twice into the dump, none lost), the waiting leader writes
     * the manifest, and the message is not lost to the redrive queue.
     */
    @Test
    void aReplicaKilledMidSliceLeavesItsSliceToAnother() throws Exception {
        SqsServer sqs = EmbeddedServices.shared().sqs();
        DumpFixture f = new DumpFixture("shared-kill9");
        int total = f.seed(9_000);
        String queueName = "slices-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);
        Path log = Files.createTempFile("ferry-slice-kill9-", ".log");
        Process doomed = FerryUnderTest.launchProcess(follower(settings(f, sqs, queue, work.resolve("doomed"))), log);
        Map<String, String> leaderSettings = settings(f, sqs, queue, work.resolve("leader"));
        // the spool directory the killed replica used, as a replica restarted on its host would have it
        Path spool = work.resolve("doomed").resolve("spool");
        leaderSettings.put("ferry.opensearch-to-s3.spool-dir", spool.toString());
        try (FerryUnderTest leader = FerryUnderTest.start(leaderSettings)) {
            // only the doomed replica reads slices at first
            leader.camelContext().getRouteController().stopRoute("opensearch-to-s3-read-queued-slice");
            await().atMost(Duration.ofMinutes(1)).until(() -> !doomed.isAlive()
                    || Files.readString(log).contains("opensearch-to-s3-read-queued-slice"));
            CompletableFuture<RunAccount> dump = OpenSearchToS3Test.dumpAsync(leader, f.index);
            String[] folder = new String[1];
            try {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(50)).until(() -> {
                    if (!doomed.isAlive()) {
                        return true;
                    }
                    List<String> folders = f.dumpFolders("dumps");
                    if (folders.isEmpty()) {
                        return false;
                    }
                    folder[0] = folders.get(0);
                    return unfinishedSliceWithParts(f, folder[0]);
                });
            } finally {
                doomed.destroyForcibly(); // SIGKILL: no shutdown hook, the message neither deleted nor released
                doomed.waitFor();
            }
            assertThat(folder[0]).as("killed mid-slice: %s", Files.readString(log)).isNotNull();
            assertThat(unfinishedSliceWithParts(f, folder[0])).as("killed mid-slice: %s", Files.readString(log)).isTrue();
            assertThat(dump).isNotDone();

            leader.camelContext().getRouteController().startRoute("opensearch-to-s3-read-queued-slice");
            RunAccount run = dump.get(4, TimeUnit.MINUTES);

            assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            f.assertHoldsEveryDocumentOnce(folder[0], total);
            List<RunAccount> sliceRuns = sliceRuns(leader);
            assertThat(sliceRuns).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(RunAccount.Status.SUCCEEDED));
            assertThat(sliceRuns).as("the killed replica's slice, resumed from its checkpoint")
                    .anySatisfy(r -> assertThat(r.subject()).endsWith("(resumed)"));
            // what the survivor wrote plus what the killed replica had stored: the snapshot, no more
            assertThat(sliceRuns.stream().mapToLong(RunAccount::written).sum()).isLessThan(total);
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);
            // what the killed reading left on the spool is gone with the dump
            try (java.util.stream.Stream<Path> left = Files.list(spool)) {
                assertThat(left.toList()).as("spool files left").isEmpty();
            }
        } finally {
            doomed.destroyForcibly();
        }
        assertThat(sqs.depth(sqs.client().getQueueUrl(b -> b.queueName(queueName + "-redrive")).queueUrl())).isZero();
    }

    /**
     * The leader's dump stops while replicas read its slices (as when it loses the lead): its run fails, every
     * checkpoint stays; the next dump of the index resumes it, adopts the slices the replicas finished meanwhile, sends
     * the others again, and completes with every document once, however the slices' messages were doubled.
     */
    @Test
    void aStoppedLeaderResumesTheSharedDumpFromItsSlicesCheckpoints() throws Exception {
        SqsServer sqs = EmbeddedServices.shared().sqs();
        DumpFixture f = new DumpFixture("shared-resume");
        int total = f.seed(6_000);
        String queue = sqs.createQueue("slices-" + UUID.randomUUID(), VISIBILITY_SECONDS, 3);
        try (FerryUnderTest leader = FerryUnderTest.start(settings(f, sqs, queue, work.resolve("a")));
             FerryUnderTest other = FerryUnderTest.start(follower(settings(f, sqs, queue, work.resolve("b"))))) {
            leader.camelContext().getRouteController().stopRoute("opensearch-to-s3-read-queued-slice");
            CompletableFuture<RunAccount> first = OpenSearchToS3Test.dumpAsync(leader, f.index);
            String[] folder = new String[1];
            // stopped once the other replica has finished a slice and is reading the next one
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20)).until(() -> {
                List<String> folders = f.dumpFolders("dumps");
                folder[0] = folders.isEmpty() ? null : folders.get(0);
                return folder[0] != null && !finishedSlices(f, folder[0]).isEmpty() && unfinishedSliceWithParts(f, folder[0]);
            });
            leader.bean("opensearchToS3Dumps", OpenSearchDumps.class).stopAll("the test stops the leader's dump");
            List<Integer> finishedBefore = finishedSlices(f, folder[0]);
            RunAccount stopped = first.get(1, TimeUnit.MINUTES);
            assertThat(stopped.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(stopped.failure()).contains("the test stops the leader's dump").contains("checkpoint");
            assertThat(f.keys(folder[0])).contains(folder[0] + "checkpoint.json").doesNotContain(folder[0] + "manifest.json");

            RunAccount resumed = OpenSearchToS3Test.dump(leader, f.index);

            assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(resumed.subject()).contains("(resumed)");
            assertThat(f.dumpFolders("dumps")).containsExactly(folder[0]);
            f.assertHoldsEveryDocumentOnce(folder[0], total);
            assertThat(sliceRuns(other)).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(RunAccount.Status.SUCCEEDED));
            // a slice finished before the stop was adopted by the resume, never read again
            for (int slice : finishedBefore) {
                assertThat(sliceRuns(other)).as("runs of slice %d", slice)
                        .filteredOn(r -> r.subject().contains(" slice " + slice + " of 3 ")).hasSize(1);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);
        }
        assertThat(f.openPits()).as("the dump's point in time is closed").isZero();
    }

    /**
     * A part a finished slice's checkpoint names is changed in S3 (another reading of the slice stored other bytes
     * under its name) while the last slice waits to be read: before the manifest the leader finds it not stored as
     * named; the dump fails naming the part and the slice, writes no manifest, and forgets the slice (its checkpoint
     * gone, its parts out of the dump's checkpoint); the next dump of the index reads that slice again from its start
     * and completes with every document once.
     */
    @Test
    void aPartNotStoredAsNamedFailsTheDumpAndTheResumeReadsItsSliceAgain() throws Exception {
        SqsServer sqs = EmbeddedServices.shared().sqs();
        DumpFixture f = new DumpFixture("shared-tampered");
        int total = f.seed(1_500);
        String queueName = "slices-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);
        // one replica, the leader, reads every slice (one at a time)
        try (FerryUnderTest leader = FerryUnderTest.start(quickToClose(settings(f, sqs, queue, work.resolve("a"))))) {
            CompletableFuture<RunAccount> first = OpenSearchToS3Test.dumpAsync(leader, f.index);
            // the test holds one slice's message, as a replica that took it and has not begun would: the leader
            // waits for that slice while the replica reads the other two
            Message held = receiveOne(sqs, queue);
            int heldSlice = DumpFixture.JSON.readTree(held.body()).path("slice").asInt();
            String[] folder = new String[1];
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(100)).until(() -> {
                List<String> folders = f.dumpFolders("dumps");
                folder[0] = folders.isEmpty() ? null : folders.get(0);
                return folder[0] != null && finishedSlices(f, folder[0]).size() == 2;
            });
            List<Integer> finished = finishedSlices(f, folder[0]);
            assertThat(finished).doesNotContain(heldSlice);
            assertThat(first).isNotDone();

            // a part of a finished slice, stored again with other bytes (one document fewer) and metadata that
            // describes those bytes, as a second reading of the slice that differs would store it
            int tamperedSlice = finished.stream().min(Integer::compare).orElseThrow();
            JsonNode sliceCheckpoint = f.json(folder[0] + DumpDestination.sliceCheckpoint(tamperedSlice));
            String tamperedKey = sliceCheckpoint.path("parts").get(0).path("key").asText();
            List<String> lines = DumpFixture.lines(f.object(tamperedKey));
            byte[] other = gzip(lines.subList(0, lines.size() - 1));
            Map<String, String> otherMetadata = new DumpPartMetadata(lines.size() - 1, DumpFixture.sha256(other)).asMetadata();
            f.client().putObject(b -> b.bucket(f.bucket).key(tamperedKey).metadata(otherMetadata), RequestBody.fromBytes(other));
            // the last slice goes on: the leader then has every slice, and checks the parts before the manifest
            sqs.client().changeMessageVisibility(b -> b.queueUrl(queue).receiptHandle(held.receiptHandle()).visibilityTimeout(0));
            RunAccount failed = first.get(2, TimeUnit.MINUTES);

            assertThat(failed.status()).as(failed.summary()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(failed.failure()).contains("slice " + tamperedSlice + "'s checkpoint names")
                    .contains(tamperedKey).contains("not stored as it says")
                    .contains("reads slice " + tamperedSlice + " again from its start").contains("no manifest written");
            assertThat(f.keys(folder[0])).doesNotContain(folder[0] + "manifest.json")
                    .doesNotContain(folder[0] + DumpDestination.sliceCheckpoint(tamperedSlice))
                    .contains(folder[0] + "checkpoint.json");
            JsonNode checkpoint = f.json(folder[0] + "checkpoint.json");
            assertThat(checkpoint.path("parts")).as("the dump's checkpoint holds none of slice %d's parts", tamperedSlice)
                    .isNotEmpty().noneSatisfy(p -> assertThat(p.path("slice").asInt()).isEqualTo(tamperedSlice));
            assertThat(checkpoint.path("parts")).noneSatisfy(p -> assertThat(p.path("key").asText()).isEqualTo(tamperedKey));
            assertThat(Dump.sliceDone(checkpoint, tamperedSlice)).isFalse();
            for (int slice = 0; slice < 3; slice++) {
                if (slice != tamperedSlice) {
                    assertThat(Dump.sliceDone(checkpoint, slice)).as("slice %d kept", slice).isTrue();
                }
            }
            long kept = 0;
            for (JsonNode p : checkpoint.path("parts")) {
                kept += p.path("documents").asLong();
            }
            assertThat(checkpoint.path("documents").asLong()).isEqualTo(kept).isLessThan(total);
            // every slice was read once, and succeeded: the failure is the dump's, not a slice's
            assertThat(sliceRuns(leader)).hasSize(3).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(RunAccount.Status.SUCCEEDED));
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);

            RunAccount resumed = OpenSearchToS3Test.dump(leader, f.index);

            assertThat(resumed.status()).as(resumed.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
            assertThat(resumed.subject()).contains("(resumed)");
            assertThat(f.dumpFolders("dumps")).containsExactly(folder[0]);
            f.assertHoldsEveryDocumentOnce(folder[0], total);
            JsonNode manifest = f.json(folder[0] + "manifest.json");
            assertThat(manifest.path("parts")).anySatisfy(p -> assertThat(p.path("key").asText()).isEqualTo(tamperedKey));
            // the forgotten slice read again from its start (not from a checkpoint), the others never again
            List<RunAccount> runs = sliceRuns(leader);
            assertThat(runs).hasSize(4).allSatisfy(r -> assertThat(r.status()).as(r.summary())
                    .isEqualTo(RunAccount.Status.SUCCEEDED));
            List<RunAccount> tampered = runs.stream().filter(r -> r.subject().contains(" slice " + tamperedSlice + " of 3 "))
                    .toList();
            assertThat(tampered).hasSize(2).allSatisfy(r -> assertThat(r.subject()).doesNotEndWith("(resumed)"));
            assertThat(tampered.get(1).read()).isEqualTo(tampered.get(0).read()).isEqualTo(total - kept);
            await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);
        }
        assertThat(sqs.depth(sqs.client().getQueueUrl(b -> b.queueName(queueName + "-redrive")).queueUrl())).isZero();
        assertThat(f.openPits()).as("the dump's point in time is closed").isZero();
    }

    /**
     * The connection of a replica reading a slice is cut (OpenSearch behind a proxy that resets every connection,
     * for longer than the replica's retries): the slice's run fails naming the host, its checkpoint stays, and its
     * message is not deleted: it comes back after the visibility timeout, the replica (the proxy healed) resumes the
     * slice from its checkpoint, and the dump completes with every document once; nothing goes to the redrive queue.
     */
    @Test
    void aReplicasConnectionCutMidSliceFailsTheSliceAndItsMessageComesBack() throws Exception {
        SqsServer sqs = EmbeddedServices.shared().sqs();
        DumpFixture f = new DumpFixture("shared-cut");
        // enough for the last slice to take a second or more: the cut falls inside it, after its first parts
        int total = f.seed(9_000);
        String queueName = "slices-" + UUID.randomUUID();
        String queue = sqs.createQueue(queueName, VISIBILITY_SECONDS, 3);
        try (FaultProxy openSearch = new FaultProxy(java.net.URI.create(f.openSearch.url()))) {
            Map<String, String> settings = quickToClose(settings(f, sqs, queue, work.resolve("a")));
            settings.put("ferry.opensearch.hosts", openSearch.hostAddress());
            // one replica, the leader, reads the slices one after the other, all through the proxy
            try (FerryUnderTest replica = FerryUnderTest.start(settings)) {
                CompletableFuture<RunAccount> dump = OpenSearchToS3Test.dumpAsync(replica, f.index);
                String[] folder = new String[1];
                // cut once two slices are done and the last one has stored parts: then only its reading is hit
                await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    List<String> folders = f.dumpFolders("dumps");
                    folder[0] = folders.isEmpty() ? null : folders.get(0);
                    return folder[0] != null && finishedSlices(f, folder[0]).size() == 2
                            && unfinishedSliceWithParts(f, folder[0]);
                });
                openSearch.breakConnections();
                Runs runs = replica.bean("runs", Runs.class);
                await().atMost(Duration.ofMinutes(1)).until(() -> !sliceRuns(replica).stream()
                        .filter(r -> r.status() == RunAccount.Status.FAILED).toList().isEmpty() || dump.isDone());
                openSearch.restore();
                java.time.Instant failedAt = java.time.Instant.now();

                List<RunAccount> failedRuns = sliceRuns(replica).stream()
                        .filter(r -> r.status() == RunAccount.Status.FAILED).toList();
                assertThat(failedRuns).as("the cut slice's run (cut after it finished? %s)", sliceRuns(replica))
                        .singleElement().satisfies(r -> assertThat(r.failure())
                                .contains("OpenSearch " + openSearch.hostAddress()).contains("failed: ")
                                .containsPattern("(?i)reset|closed|EOF|broken pipe").contains("still failing after")
                                .contains("comes back after its visibility timeout"));
                assertThat(openSearch.broken()).as("connections reset").isPositive();
                RunAccount cut = failedRuns.get(0);
                int slice = Integer.parseInt(cut.subject().replaceAll(".* slice (\\d+) of 3 .*", "$1"));
                assertThat(cut.failure()).contains("(slice " + slice + " of dump ");
                // its checkpoint stays, unfinished, with the parts stored before the cut
                JsonNode kept = f.json(folder[0] + DumpDestination.sliceCheckpoint(slice));
                assertThat(Dump.sliceDone(kept, slice)).isFalse();
                assertThat(kept.path("parts")).isNotEmpty();
                long keptDocuments = kept.path("documents").asLong();
                Map<String, String> keptParts = new java.util.LinkedHashMap<>();
                for (JsonNode p : kept.path("parts")) {
                    String key = p.path("key").asText();
                    keptParts.put(key, f.client().headObject(b -> b.bucket(f.bucket).key(key)).eTag());
                }
                // its message is not deleted: held invisible until its visibility timeout, then read again
                Map<QueueAttributeName, String> attributes = sqs.client().getQueueAttributes(b -> b.queueUrl(queue)
                        .attributeNames(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE)).attributes();
                assertThat(attributes).containsEntry(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0")
                        .containsEntry(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "1");
                assertThat(dump).isNotDone();

                RunAccount run = dump.get(2, TimeUnit.MINUTES);

                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                f.assertHoldsEveryDocumentOnce(folder[0], total);
                List<RunAccount> ofSlice = sliceRuns(replica).stream()
                        .filter(r -> r.subject().contains(" slice " + slice + " of 3 ")).toList();
                assertThat(ofSlice).hasSize(2);
                RunAccount again = ofSlice.get(1);
                assertThat(again.status()).as(again.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(again.subject()).as("resumed from its checkpoint").endsWith("(resumed)");
                assertThat(again.started()).as("read again once its message came back")
                        .isAfter(failedAt.plusSeconds(2));
                // the resume read only what the checkpoint did not hold, and left its parts as they were
                JsonNode manifest = f.json(folder[0] + "manifest.json");
                long inSlice = 0;
                for (JsonNode p : manifest.path("parts")) {
                    if (p.path("key").asText().startsWith(folder[0] + "part-" + (slice + 1))) {
                        inSlice += p.path("documents").asLong();
                    }
                }
                assertThat(again.read()).isEqualTo(again.written()).isEqualTo(inSlice - keptDocuments).isPositive();
                for (Map.Entry<String, String> p : keptParts.entrySet()) {
                    assertThat(f.client().headObject(b -> b.bucket(f.bucket).key(p.getKey())).eTag())
                            .as("part %s kept as it was", p.getKey()).isEqualTo(p.getValue());
                }
                assertThat(sliceRuns(replica)).hasSize(4).filteredOn(r -> r.status() == RunAccount.Status.SUCCEEDED)
                        .hasSize(3);
                assertThat(runs.finished()).filteredOn(r -> r.status() == RunAccount.Status.FAILED).containsExactly(cut);
                await().atMost(Duration.ofSeconds(30)).until(() -> sqs.depth(queue) == 0);
            }
        }
        assertThat(sqs.depth(sqs.client().getQueueUrl(b -> b.queueName(queueName + "-redrive")).queueUrl())).isZero();
        assertThat(f.openPits()).as("the dump's point in time is closed").isZero();
    }

    /**
     * Closing a replica need not wait for its slice-queue consumer's long poll (1 s here) or anything else to end: by
     * then the test's queue holds nothing for it.
     */
    private static Map<String, String> quickToClose(Map<String, String> settings) {
        settings.put("camel.main.shutdown-timeout", "1");
        return settings;
    }

    /** One message of the queue, received (and held invisible) by the test. */
    private static Message receiveOne(SqsServer sqs, String queue) {
        Message[] got = new Message[1];
        await().atMost(Duration.ofMinutes(1)).until(() -> {
            List<Message> m = sqs.client().receiveMessage(b -> b.queueUrl(queue).maxNumberOfMessages(1)
                    .visibilityTimeout(120).waitTimeSeconds(1)).messages();
            got[0] = m.isEmpty() ? null : m.get(0);
            return got[0] != null;
        });
        return got[0];
    }

    private static byte[] gzip(List<String> lines) throws java.io.IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.Writer w = new java.io.OutputStreamWriter(new java.util.zip.GZIPOutputStream(bytes),
                java.nio.charset.StandardCharsets.UTF_8)) {
            for (String line : lines) {
                w.write(line);
                w.write('\n');
            }
        }
        return bytes.toByteArray();
    }

    /** A replica that does not lead: it reads slices, and never resumes the dump itself. */
    private static Map<String, String> follower(Map<String, String> settings) {
        settings.put("ferry.opensearch-to-s3.resume", "false");
        return settings;
    }

    /** The slices whose checkpoints say done. */
    private static List<Integer> finishedSlices(DumpFixture f, String folder) throws Exception {
        List<Integer> done = new ArrayList<>();
        for (String key : f.keys(folder)) {
            if (key.endsWith(".checkpoint.json") && key.contains("/slice-")) {
                JsonNode c = f.json(key);
                if (Dump.sliceDone(c, c.path("slice").asInt())) {
                    done.add(c.path("slice").asInt());
                }
            }
        }
        return done;
    }

    /** A slice's checkpoint names at least one stored part, and the slice is not done. */
    private static boolean unfinishedSliceWithParts(DumpFixture f, String folder) throws Exception {
        for (String key : f.keys(folder)) {
            if (key.endsWith(".checkpoint.json") && key.contains("/slice-")) {
                JsonNode c = f.json(key);
                int slice = c.path("slice").asInt();
                if (c.path("parts").size() > 0 && !Dump.sliceDone(c, slice)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<RunAccount> sliceRuns(FerryUnderTest ferry) {
        return ferry.bean("runs", Runs.class).finished().stream().filter(r -> SLICE_RUN.matcher(r.subject()).find()).toList();
    }

    private static List<RunAccount> rejected(FerryUnderTest ferry) {
        return ferry.bean("runs", Runs.class).finished().stream()
                .filter(r -> r.subject().equals("slice-queue message")).toList();
    }

    /**
     * Settings of a replica. These tests run no election (every process would lead): only the replica the test asks
     * for a dump leads it, so the others do not resume it at their start (resume=false), as followers would not.
     */
    private static Map<String, String> settings(DumpFixture f, SqsServer sqs, String queueUrl, Path work) {
        Map<String, String> s = f.settings(work);
        s.putAll(sqs.ferrySettings());
        s.put("ferry.opensearch-to-s3.slices", "3");
        s.put("ferry.opensearch-to-s3.slice-queue-enabled", "true");
        s.put("ferry.opensearch-to-s3.slice-queue-url", queueUrl);
        s.put("ferry.opensearch-to-s3.slice-queue-visibility-seconds", Integer.toString(VISIBILITY_SECONDS));
        s.put("ferry.opensearch-to-s3.slice-queue-wait-seconds", "1"); // a stopped route or replica waits 1 s, not 20
        return s;
    }
}
