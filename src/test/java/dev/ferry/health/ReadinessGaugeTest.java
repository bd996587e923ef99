package dev.ferry.health;

import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ferry_ready against real services: 1 when the readiness checks of the enabled pipeline (s3-to-opensearch: S3 and
 * its buckets, OpenSearch) are all UP, 0 when S3 is a closed loopback port, agreeing with /observe/health.
 */
class ReadinessGaugeTest {

    private static final Pattern READY = Pattern.compile("(?m)^ferry_ready (\\S+)$");

    @Test
    void readyIsOneWhenEveryDependencyAnswersAndZeroWhenS3IsDown() throws Exception {
        S3ProxyServer s3 = EmbeddedServices.shared().s3();
        OpenSearchNode openSearch = EmbeddedServices.shared().openSearch();
        String inbox = "ready-" + UUID.randomUUID();
        String deadLetters = inbox + "-dl";
        s3.client().createBucket(b -> b.bucket(inbox));
        s3.client().createBucket(b -> b.bucket(deadLetters));
        Map<String, String> settings = new HashMap<>();
        settings.put("ferry.s3-to-opensearch.enabled", "true");
        settings.put("ferry.s3-to-opensearch.bucket", inbox);
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", deadLetters);
        settings.put("ferry.s3-to-opensearch.poll-delay-ms", "3600000");
        settings.put("ferry.opensearch.hosts", openSearch.hostAddress());
        settings.put("ferry.s3.endpoint", s3.endpoint().toString());
        settings.put("ferry.s3.path-style", "true");
        settings.put("ferry.s3.region", s3.region());
        settings.put("ferry.s3.access-key", s3.accessKey());
        settings.put("ferry.s3.secret-key", s3.secretKey());
        // the inbox poll's own retries against a dead S3 would hold the shutdown for ~17 s
        settings.put("ferry.retry.max-attempts", "2");
        settings.put("ferry.retry.initial-delay-ms", "50");
        settings.put("ferry.retry.max-delay-ms", "200");

        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            assertThat(awaitReady(ferry)).as(ferry.get("health").body()).isEqualTo(1.0);
        }

        // a configured bucket that is missing (here the dead-letter bucket) makes Ferry not ready, naming it
        settings.put("ferry.s3-to-opensearch.dead-letter-bucket", deadLetters + "-missing");
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            assertThat(awaitReady(ferry)).isEqualTo(0.0);
            assertThat(ferry.get("health").body()).contains(deadLetters + "-missing");
        }

        settings.put("ferry.s3.endpoint", "http://127.0.0.1:" + FerryUnderTest.freePort());
        try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
            assertThat(awaitReady(ferry)).isEqualTo(0.0);
            assertThat(ferry.get("health").body()).contains("S3 not reachable");
        }
    }

    /** The gauge once its first evaluation has ended (NaN before: not known yet). */
    private static double awaitReady(FerryUnderTest ferry) {
        double[] value = {Double.NaN};
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
            Matcher m = READY.matcher(ferry.get("metrics").body());
            value[0] = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
            return !Double.isNaN(value[0]);
        });
        return value[0];
    }
}
