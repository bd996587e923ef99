package dev.ferry.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsValidationTest {

    private static final Path APP_PROPERTIES = Path.of("application.properties");

    @Test
    void theShippedConfigurationIsValidInEveryProfile() {
        for (String profile : new String[] {"prod", "dev", "local"}) {
            FerryConfig config = FerryConfig.load(APP_PROPERTIES, profile, Map.of(), Map.of());
            dev.ferry.Ferry.settingsRules(config).validate(config);
            assertThat(config.profile()).isEqualTo(profile);
        }
    }

    @Test
    void aProfileLineOverridesTheBaseValueOnlyInThatProfile() {
        FerryConfig prod = FerryConfig.load(APP_PROPERTIES, "prod", Map.of(), Map.of());
        FerryConfig dev = FerryConfig.load(APP_PROPERTIES, "dev", Map.of(), Map.of());
        assertThat(prod.get("camel.main.routes-reload-enabled")).isNull();
        assertThat(dev.get("camel.main.routes-reload-enabled")).isEqualTo("true");
    }

    @Test
    void anEnvironmentVariableOverridesTheFileAndAnOverrideBeatsBoth() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null,
                Map.of("FERRY_RETRY_MAX_ATTEMPTS", "9", "FERRY_PROFILE", "dev"), Map.of());
        assertThat(config.get("ferry.retry.max-attempts")).isEqualTo("9");
        assertThat(config.sourceOf("ferry.retry.max-attempts")).isEqualTo("environment variable FERRY_RETRY_MAX_ATTEMPTS");
        assertThat(config.profile()).isEqualTo("dev");
        FerryConfig overridden = FerryConfig.load(APP_PROPERTIES, null,
                Map.of("FERRY_RETRY_MAX_ATTEMPTS", "9"), Map.of("ferry.retry.max-attempts", "3"));
        assertThat(overridden.get("ferry.retry.max-attempts")).isEqualTo("3");
    }

    @Test
    void anInvalidSettingIsNamedWithItsSourceAndWhatWasExpected() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null,
                Map.of("FERRY_RETRY_MAX_ATTEMPTS", "lots", "FERRY_OPENSEARCH_HOSTS", "localhost"), Map.of());
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(config).validate(config))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.retry.max-attempts = 'lots' (from environment variable FERRY_RETRY_MAX_ATTEMPTS): expected a whole number >= 0")
                .hasMessageContaining("invalid setting ferry.opensearch.hosts = 'localhost'")
                .hasMessageContaining("2 setting(s) to fix");
    }

    @Test
    void aMissingSettingNamesItsEnvironmentVariable(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("application.properties");
        Files.writeString(file, Files.readString(APP_PROPERTIES).replace("ferry.db.url =", "# removed"));
        FerryConfig config = FerryConfig.load(file, null, Map.of(), Map.of());
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(config).validate(config))
                .hasMessageContaining("missing setting ferry.db.url (environment variable FERRY_DB_URL)");
    }

    @Test
    void aWrongSecretIsReportedWithoutItsValue() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of(),
                Map.of("ferry.s3.endpoint", "ftp://user:hunter2@example"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(config).validate(config))
                .hasMessageContaining("invalid setting ferry.s3.endpoint = 'ftp://<hidden>@example'")
                .message().doesNotContain("hunter2");
        assertThat(SettingsValidator.shown("ferry.db.password", "hunter2")).isEqualTo("<hidden>");
        assertThat(SettingsValidator.shown("ferry.s3.secret-key", "hunter2")).isEqualTo("<hidden>");
    }

    @Test
    void aRuleAcrossSettingsSeesTheOthersAndABadSettingIsNamedOnce() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of(),
                Map.of("x.source", "same", "x.target", "same", "x.other-target", "-bad-"));
        SettingsValidator v = new SettingsValidator();
        for (String key : new String[] {"x.target", "x.other-target"}) {
            v.require(key, s -> s.matches("[a-z]+"), "lower-case letters");
            v.crossCheck(key, (target, others) -> !target.equals(others.apply("x.source")), "other than x.source");
        }
        assertThatThrownBy(() -> v.validate(config))
                .hasMessageContaining("invalid setting x.target = 'same' (from override): expected other than x.source")
                .hasMessageContaining("invalid setting x.other-target = '-bad-' (from override): expected lower-case letters")
                .hasMessageContaining("2 setting(s) to fix");
    }

    @Test
    void aMissingConfigurationFileIsReportedWithItsPath() {
        assertThatThrownBy(() -> FerryConfig.load(Path.of("no-such.properties"), null, Map.of(), Map.of()))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("Configuration file not found")
                .hasMessageContaining("no-such.properties");
    }

    @Test
    void camelSettingsFerryDocumentsAreCheckedLikeItsOwn() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of("CAMEL_MAIN_SHUTDOWN_TIMEOUT", "soon",
                "CAMEL_HEALTH_ENABLED", "maybe", "CAMEL_HEALTH_EXPOSURE_LEVEL", "everything"),
                Map.of("camel.main.duration-max-seconds", "5s"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(config).validate(config))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting camel.main.shutdown-timeout = 'soon' (from environment variable"
                        + " CAMEL_MAIN_SHUTDOWN_TIMEOUT): expected a whole number of seconds >= 1")
                .hasMessageContaining("invalid setting camel.health.enabled = 'maybe'")
                .hasMessageContaining("invalid setting camel.health.exposure-level = 'everything'")
                .hasMessageContaining("invalid setting camel.main.duration-max-seconds = '5s' (from override)")
                .hasMessageContaining("4 setting(s) to fix");
    }

    @Test
    void anUnknownProfileIsRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> FerryConfig.load(APP_PROPERTIES, null, Map.of("FERRY_PROFILE", "staging"), Map.of()))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting ferry.profile = 'staging' (from environment variable FERRY_PROFILE):"
                        + " expected one of the profiles of application.properties: dev, local, prod");
    }

    @Test
    void aPasswordInsideAJdbcUrlIsNotShownWhenTheUrlIsWrong() {
        assertThat(SettingsValidator.shown("ferry.db.url", "postgresql://h/x?user=u&password=pg-secret-1&ssl=true"))
                .isEqualTo("'postgresql://h/x?user=u&password=<hidden>&ssl=true'");
        assertThat(SettingsValidator.shown("ferry.db.url", "sqlserver://h;user=u;password=ms-secret-2;encrypt=true"))
                .isEqualTo("'sqlserver://h;user=u;password=<hidden>;encrypt=true'");
    }

    @Test
    void managementCredentialsComeTogether() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of(), Map.of("ferry.management.user", "op"));
        assertThatThrownBy(() -> dev.ferry.Ferry.settingsRules(config).validate(config))
                .hasMessageContaining("invalid setting ferry.management.user = 'op' (from override): expected set together"
                        + " with ferry.management.password");
    }
}
