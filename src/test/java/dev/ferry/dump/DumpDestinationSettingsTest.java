package dev.ferry.dump;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ferry.opensearch-to-s3.destination: the forms it takes, and the start-up error for any other or the old keys. */
class DumpDestinationSettingsTest {

    private static final Path APP_PROPERTIES = Path.of("application.properties");

    @Test
    void anS3BucketWithAPrefixOrADirectoryIsAccepted() {
        assertThat(DumpDestinationUri.parse("s3://ferry-dumps/dumps")).isEqualTo(new DumpDestinationUri.S3("ferry-dumps", "dumps"));
        assertThat(DumpDestinationUri.parse("s3://ferry-dumps/a/b/")).isEqualTo(new DumpDestinationUri.S3("ferry-dumps", "a/b"));
        assertThat(DumpDestinationUri.parse("s3://ferry-dumps")).isEqualTo(new DumpDestinationUri.S3("ferry-dumps", ""));
        assertThat(DumpDestinationUri.parse("file:/var/ferry/dumps")).isEqualTo(new DumpDestinationUri.Directory(Path.of("/var/ferry/dumps")));
        assertThat(DumpDestinationUri.parse("file:///var/ferry/dumps")).isEqualTo(new DumpDestinationUri.Directory(Path.of("/var/ferry/dumps")));
        assertThat(DumpDestinationUri.parse("file:dumps/here")).isEqualTo(new DumpDestinationUri.Directory(Path.of("dumps/here")));
        for (String ok : new String[] {"s3://ferry-dumps/dumps", "file:/var/ferry/dumps", "file:dumps"}) {
            validate(Map.of("FERRY_OPENSEARCH_TO_S3_DESTINATION", ok));
        }
    }

    @Test
    void anotherSchemeIsAStartUpErrorNamingTheSettingAndTheAcceptedForms() {
        for (String bad : new String[] {"ftp://host/dumps", "/var/ferry/dumps", "file://nas/dumps", "s3://Bad_Bucket/x", "file:"}) {
            assertThatThrownBy(() -> validate(Map.of("FERRY_OPENSEARCH_TO_S3_DESTINATION", bad)))
                    .as(bad)
                    .isInstanceOf(InvalidSettingException.class)
                    .hasMessageContaining("invalid setting ferry.opensearch-to-s3.destination = '" + bad
                            + "' (from environment variable FERRY_OPENSEARCH_TO_S3_DESTINATION)")
                    .hasMessageContaining("expected s3://<bucket>/<prefix>")
                    .hasMessageContaining("or file:<directory>");
        }
    }

    @Test
    void theFormerBucketAndPrefixSettingsAreRefusedSayingWhatToWriteInstead() {
        assertThatThrownBy(() -> validate(Map.of("FERRY_OPENSEARCH_TO_S3_BUCKET", "old-dumps",
                "FERRY_OPENSEARCH_TO_S3_PREFIX", "nightly")))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.opensearch-to-s3.bucket = 'old-dumps'")
                .hasMessageContaining("invalid setting ferry.opensearch-to-s3.prefix = 'nightly'")
                .hasMessageContaining("ferry.opensearch-to-s3.destination = s3://<bucket>/<prefix>")
                .hasMessageContaining("2 setting(s) to fix");
    }

    private static void validate(Map<String, String> environment) {
        Map<String, String> env = new HashMap<>(environment);
        env.put("FERRY_OPENSEARCH_TO_S3_ENABLED", "true");
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, env, Map.of());
        dev.ferry.Ferry.settingsRules(config).validate(config);
    }
}
