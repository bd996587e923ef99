package dev.ferry.s3;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pipeline's routes, beans and settings hold together (no servers needed: nothing is polled here). */
class S3ToOpenSearchWiringTest {

    @Test
    void theRoutesFollowTheConventionsWhenThePipelineIsOnAndAreNotCreatedWhenItIsOff() throws Exception {
        int closed = FerryUnderTest.freePort();
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of("ferry.s3-to-opensearch.enabled", "true",
                "ferry.s3.endpoint", "http://127.0.0.1:" + closed, "ferry.s3.path-style", "true",
                "ferry.opensearch.hosts", "127.0.0.1:" + closed, "ferry.s3-to-opensearch.poll-delay-ms", "3600000"))) {
            var context = ferry.camelContext();
            assertThat(context.getRoutes()).extracting(Route::getRouteId)
                    .contains("s3-to-opensearch-poll", "s3-to-opensearch-object", "s3-to-opensearch-bulk");
            for (Route route : context.getRoutes()) {
                if (route.getRouteId().startsWith("s3-to-opensearch-")) {
                    assertThat(route.getDescription()).as(route.getRouteId()).isNotBlank();
                }
            }
            assertThat(context.getRouteController().getRouteStatus("s3-to-opensearch-poll")).isEqualTo(ServiceStatus.Started);
            assertThat(ferry.bean("s3ToOpenSearchBulkPool", java.util.concurrent.ThreadPoolExecutor.class))
                    .satisfies(p -> {
                        assertThat(p.getCorePoolSize()).isEqualTo(2);
                        assertThat(p.getMaximumPoolSize()).isEqualTo(2);
                        assertThat(p.getQueue().remainingCapacity()).as("a queue that never refuses").isEqualTo(Integer.MAX_VALUE);
                    });
            assertThat(ferry.bean("s3ToOpenSearchObjects", ObjectJobs.class)).isNotNull();
        }
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of())) {
            assertThat(ferry.camelContext().getRoutes()).extracting(Route::getRouteId)
                    .noneMatch(id -> id.startsWith("s3-to-opensearch-"));
        }
    }

    @Test
    void enabledPipelineSettingsAreValidatedAndNamed() {
        Path props = Path.of("application.properties");
        FerryConfig ok = FerryConfig.load(props, null, Map.of(), Map.of("ferry.s3-to-opensearch.enabled", "true"));
        dev.ferry.Ferry.settingsRules(ok).validate(ok);
        FerryConfig bad = FerryConfig.load(props, null, Map.of("FERRY_S3_TO_OPENSEARCH_DONE_ACTION", "archive"),
                Map.of("ferry.s3-to-opensearch.enabled", "true", "ferry.s3-to-opensearch.bulk-max-docs", "0",
                        "ferry.s3-to-opensearch.bucket", "Not_A_Bucket"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(bad).validate(bad))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.done-action = 'archive' (from environment"
                        + " variable FERRY_S3_TO_OPENSEARCH_DONE_ACTION): expected move, delete or tag")
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.bulk-max-docs = '0'")
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.bucket = 'Not_A_Bucket'");
    }

    @Test
    void settingsThatWouldReadTheirOwnOutputAgainAreRefusedBeforeStartUpWithEveryOtherProblem() {
        Path props = Path.of("application.properties");
        Map<String, String> moving = Map.of("ferry.s3-to-opensearch.enabled", "true", "ferry.s3-to-opensearch.bucket", "inbox",
                "ferry.s3-to-opensearch.prefix", "incoming/", "ferry.s3-to-opensearch.done-action", "move");
        FerryConfig bad = FerryConfig.load(props, null, Map.of("FERRY_S3_TO_OPENSEARCH_DEAD_LETTER_BUCKET", "inbox"),
                with(moving, "ferry.s3-to-opensearch.processed-prefix", "incoming/done/",
                        "ferry.s3-to-opensearch.bulk-max-docs", "0"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(bad).validate(bad))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.processed-prefix = 'incoming/done/' (from"
                        + " override): expected with done-action move, a prefix neither equal to, under nor above"
                        + " ferry.s3-to-opensearch.prefix (processed objects would be read again)")
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.dead-letter-bucket = 'inbox' (from environment"
                        + " variable FERRY_S3_TO_OPENSEARCH_DEAD_LETTER_BUCKET): expected a bucket other than"
                        + " ferry.s3-to-opensearch.bucket (dead letters would be read as input)")
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.bulk-max-docs = '0'")
                .hasMessageContaining("3 setting(s) to fix");

        FerryConfig above = FerryConfig.load(props, null, Map.of(), with(moving, "ferry.s3-to-opensearch.prefix",
                "incoming/2026/", "ferry.s3-to-opensearch.processed-prefix", "incoming/"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(above).validate(above))
                .hasMessageContaining("invalid setting ferry.s3-to-opensearch.processed-prefix = 'incoming/'")
                .hasMessageContaining("1 setting(s) to fix");
        FerryConfig noProcessedPrefix = FerryConfig.load(props, null, Map.of(),
                with(moving, "ferry.s3-to-opensearch.processed-prefix", ""));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(noProcessedPrefix).validate(noProcessedPrefix))
                .hasMessageContaining("missing setting ferry.s3-to-opensearch.processed-prefix")
                .hasMessageContaining("required when ferry.s3-to-opensearch.done-action is move");

        // the same prefixes are fine when nothing is moved, and moving beside the source prefix is fine
        for (FerryConfig ok : List.of(
                FerryConfig.load(props, null, Map.of(), with(moving, "ferry.s3-to-opensearch.done-action", "delete",
                        "ferry.s3-to-opensearch.processed-prefix", "incoming/done/")),
                FerryConfig.load(props, null, Map.of(), with(moving, "ferry.s3-to-opensearch.processed-prefix", "processed/")))) {
            assertThatCode(() -> dev.ferry.Ferry.settingsRules(ok).validate(ok)).doesNotThrowAnyException();
        }
    }

    private static Map<String, String> with(Map<String, String> base, String... keyValues) {
        Map<String, String> all = new HashMap<>(base);
        for (int i = 0; i < keyValues.length; i += 2) {
            all.put(keyValues[i], keyValues[i + 1]);
        }
        return all;
    }
}
