package dev.ferry.dirsync;

import dev.ferry.Ferry;
import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dir-to-s3 settings are checked at start-up, only when the pipeline is on, naming each bad one. */
class DirToS3SettingsTest {

    private static final Path APP_PROPERTIES = Path.of("application.properties");

    @Test
    void theShippedDefaultsAreValidWithThePipelineOn() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of("FERRY_DIR_TO_S3_ENABLED", "true"), Map.of());
        assertThatCode(() -> Ferry.settingsRules(config).validate(config)).doesNotThrowAnyException();
    }

    @Test
    void badValuesAreNamedWithWhatWasExpected() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of("FERRY_DIR_TO_S3_ENABLED", "true",
                "FERRY_DIR_TO_S3_BUCKET", "Not_A_Bucket", "FERRY_DIR_TO_S3_MULTIPART_THRESHOLD", "1000",
                "FERRY_DIR_TO_S3_PARALLEL_UPLOADS", "0", "FERRY_DIR_TO_S3_EXCLUDE", "a/[b"), Map.of());
        assertThatThrownBy(() -> Ferry.settingsRules(config).validate(config))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.dir-to-s3.bucket = 'Not_A_Bucket' (from environment variable"
                        + " FERRY_DIR_TO_S3_BUCKET): expected an S3 bucket name")
                .hasMessageContaining("ferry.dir-to-s3.multipart-threshold = '1000'")
                .hasMessageContaining("ferry.dir-to-s3.parallel-uploads = '0'")
                .hasMessageContaining("ferry.dir-to-s3.exclude = 'a/[b'")
                .hasMessageContaining("4 setting(s) to fix");
    }

    @Test
    void nothingIsCheckedWhileThePipelineIsOff() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of("FERRY_DIR_TO_S3_BUCKET", "Not_A_Bucket"), Map.of());
        assertThatCode(() -> Ferry.settingsRules(config).validate(config)).doesNotThrowAnyException();
    }
}
