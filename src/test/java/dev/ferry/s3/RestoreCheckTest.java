package dev.ferry.s3;

import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.embedded.EmbeddedServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The restore check's rules on a manifest and parts in S3 (S3Proxy), without a pipeline around it: a part not there
 * yet is waited for while the manifest is younger than the grace (a copy of the dump still on its way), and fails the
 * check after it; a part of another size than the manifest says, or one the pipeline does not read (key-suffixes),
 * fails it at once; a manifest.json that is not a Ferry dump's is left alone. (Done-action tag is not tested here: S3Proxy's filesystem store answers 501 to tagging.)
 */
class RestoreCheckTest {

    private static final String MANIFEST = """
            {"format":"ferry-opensearch-dump/1","dumpId":"d1","index":"orders","documents":30,"parts":[
             {"key":"dumps/orders/d1/part-00001.ndjson.gz","documents":10,"bytes":5},
             {"key":"dumps/orders/d1/part-00002.ndjson.gz","documents":20,"bytes":7}]}""";

    private final S3Client s3 = EmbeddedServices.shared().s3().client();
    private final Runs runs = new Runs(new PipelineMetrics(SimpleMeterRegistry::new));

    @Test
    void aPartNotThereIsWaitedForThroughTheGraceThenFailsTheCheckOnce() {
        String bucket = bucket("grace");
        put(bucket, "in/manifest.json", MANIFEST);
        put(bucket, "in/part-00001.ndjson.gz", "12345");
        Instant landed = s3.headObject(b -> b.bucket(bucket).key("in/manifest.json")).lastModified();
        S3Inbox inbox = new S3Inbox(s3, bucket, "in/", "move", "done/", ".gz");
        assertThat(inbox.isRestoreManifest("in/manifest.json")).isTrue();

        MovingClock clock = new MovingClock(landed.plusSeconds(599));
        RestoreCheck check = new RestoreCheck(runs, s3, inbox, Duration.ofMinutes(10), clock);
        assertThat(check.check(exchange("in/manifest.json"))).as("within the grace").isFalse();
        assertThat(runs.finished()).as("waiting is no run").isEmpty();

        clock.now = landed.plusSeconds(601);
        assertThat(check.check(exchange("in/manifest.json"))).isFalse();
        assertThat(runs.finished()).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(RunAccount.Status.FAILED);
            assertThat(r.subject()).isEqualTo(bucket + "/in/manifest.json");
            assertThat(r.failure()).contains("1 of its 2 part(s) neither waiting under " + bucket
                    + "/in/ nor restored, 20 document(s) in all: part-00002.ndjson.gz (20 document(s))");
        });
        clock.now = landed.plusSeconds(700);
        assertThat(check.check(exchange("in/manifest.json"))).as("the same finding again").isFalse();
        assertThat(runs.finished()).as("reported once").hasSize(1);

        // both parts restored (moved under done/): complete
        move(bucket, "in/part-00001.ndjson.gz", "done/part-00001.ndjson.gz");
        put(bucket, "done/part-00002.ndjson.gz", "1234567");
        Exchange complete = exchange("in/manifest.json");
        assertThat(check.check(complete)).isTrue();
        assertThat(complete.getProperty(RestoreCheck.RUN_PROPERTY, RunAccount.class).status()).isEqualTo(RunAccount.Status.RUNNING);
    }

    @Test
    void aPartOfAnotherSizeFailsTheCheckAtOnce() {
        String bucket = bucket("size");
        put(bucket, "in/manifest.json", MANIFEST);
        put(bucket, "in/part-00001.ndjson.gz", "12345");
        put(bucket, "in/part-00002.ndjson.gz", "123456");
        S3Inbox inbox = new S3Inbox(s3, bucket, "in/", "move", "done/", ".gz");
        assertThat(check(inbox, Instant.now())).isFalse();
        assertThat(runs.finished()).singleElement().satisfies(r -> assertThat(r.failure())
                .contains("1 part(s) that cannot restore it: part-00002.ndjson.gz is 6 byte(s), the manifest says 7"));
    }

    @Test
    void aPartThePipelineDoesNotReadFailsTheCheckRatherThanWaitForever() {
        String bucket = bucket("suffix");
        put(bucket, "in/manifest.json", MANIFEST);
        put(bucket, "in/part-00001.ndjson.gz", "12345");
        put(bucket, "in/part-00002.ndjson.gz", "1234567");
        S3Inbox inbox = new S3Inbox(s3, bucket, "in/", "move", "done/", ".zst");
        assertThat(check(inbox, Instant.now())).isFalse();
        assertThat(runs.finished()).singleElement().satisfies(r -> assertThat(r.failure())
                .contains("2 part(s) that cannot restore it: part-00001.ndjson.gz is not read by this pipeline (its"
                        + " key-suffixes), part-00002.ndjson.gz is not read by this pipeline"));
    }

    @Test
    void aManifestThatIsNotAFerryDumpsIsLeftAlone() {
        String bucket = bucket("other");
        put(bucket, "in/manifest.json", "{\"entries\":[]}");
        S3Inbox inbox = new S3Inbox(s3, bucket, "in/", "move", "done/", ".gz");
        assertThat(check(inbox, Instant.now())).isFalse();
        assertThat(check(inbox, Instant.now())).isFalse();
        assertThat(runs.finished()).isEmpty();
        assertThat(new S3Inbox(s3, bucket, "in/", "delete", null, ".gz").isRestoreManifest("in/manifest.json"))
                .as("done-action delete leaves nothing to check against").isFalse();
        assertThat(new S3Inbox(s3, bucket, "in/", "move", "done/", ".json").isRestoreManifest("in/manifest.json"))
                .as("data by key-suffixes").isFalse();
    }

    private boolean check(S3Inbox inbox, Instant now) {
        return new RestoreCheck(runs, s3, inbox, Duration.ofMinutes(10), Clock.fixed(now, ZoneOffset.UTC))
                .check(exchange("in/manifest.json"));
    }

    /** A clock the test moves. */
    private static final class MovingClock extends Clock {
        volatile Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static Exchange exchange(String key) {
        Exchange exchange = new DefaultExchange(new DefaultCamelContext());
        exchange.getMessage().setBody(key);
        return exchange;
    }

    private String bucket(String name) {
        String bucket = "restore-check-" + name + "-" + Long.toString(System.nanoTime() % 1_000_000, 36);
        s3.createBucket(b -> b.bucket(bucket));
        return bucket;
    }

    private void put(String bucket, String key, String content) {
        s3.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromString(content));
    }

    private void move(String bucket, String from, String to) {
        s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to));
        s3.deleteObject(b -> b.bucket(bucket).key(from));
    }
}
