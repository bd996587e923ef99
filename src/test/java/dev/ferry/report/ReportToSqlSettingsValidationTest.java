package dev.ferry.report;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The report-to-sql settings are checked before start-up: credentials are required exactly when the login needs them. */
class ReportToSqlSettingsValidationTest {

    private static final Path APP_PROPERTIES = Path.of("application.properties");

    private static FerryConfig config(Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> all = new HashMap<>(overrides);
        all.put("ferry.report-to-sql.enabled", "true");
        all.put("ferry.report-to-sql.base-url", "https://reports.example.com/ReportServer");
        return FerryConfig.load(APP_PROPERTIES, null, env, all);
    }

    private static void validate(FerryConfig config) {
        dev.ferry.Ferry.settingsRules(config).validate(config);
    }

    @Test
    void ntlmOrBasicWithoutUserAndPasswordStopsStartUpNamingBoth() {
        for (String method : new String[] {"ntlm", "basic", "NTLM"}) {
            FerryConfig config = config(Map.of(), Map.of("ferry.report-to-sql.auth-method", method));
            assertThatThrownBy(() -> validate(config))
                    .isInstanceOf(InvalidSettingException.class)
                    .hasMessageContaining("missing setting ferry.report-to-sql.user (environment variable FERRY_REPORT_TO_SQL_USER)")
                    .hasMessageContaining("missing setting ferry.report-to-sql.password (environment variable FERRY_REPORT_TO_SQL_PASSWORD)")
                    .hasMessageContaining("required when ferry.report-to-sql.auth-method is ntlm or basic")
                    .hasMessageContaining("2 setting(s) to fix");
        }
    }

    @Test
    void aUserWithoutAPasswordIsNamedAndAPasswordFromTheEnvironmentIsNeverShown() {
        FerryConfig missingPassword = config(Map.of(), Map.of("ferry.report-to-sql.auth-method", "basic",
                "ferry.report-to-sql.user", "svc_ferry"));
        assertThatThrownBy(() -> validate(missingPassword))
                .hasMessageContaining("missing setting ferry.report-to-sql.password")
                .hasMessageContaining("1 setting(s) to fix")
                .message().doesNotContain("ferry.report-to-sql.user (");

        FerryConfig complete = config(Map.of("FERRY_REPORT_TO_SQL_PASSWORD", "hunter2"),
                Map.of("ferry.report-to-sql.auth-method", "ntlm", "ferry.report-to-sql.user", "svc_ferry"));
        assertThatCode(() -> validate(complete)).doesNotThrowAnyException();

        FerryConfig invalidOther = config(Map.of("FERRY_REPORT_TO_SQL_PASSWORD", "hunter2"),
                Map.of("ferry.report-to-sql.auth-method", "ntlm", "ferry.report-to-sql.user", "svc_ferry",
                        "ferry.report-to-sql.batch-size", "0"));
        assertThatThrownBy(() -> validate(invalidOther))
                .hasMessageContaining("invalid setting ferry.report-to-sql.batch-size = '0'")
                .message().doesNotContain("hunter2");
    }

    @Test
    void noLoginNeedsNoCredentials() {
        FerryConfig config = config(Map.of(), Map.of("ferry.report-to-sql.auth-method", "none"));
        assertThatCode(() -> validate(config)).doesNotThrowAnyException();
    }

    @Test
    void aFirstRunSoonerThanTheTimerCanBeTrustedIsRefused() {
        FerryConfig config = config(Map.of(), Map.of("ferry.report-to-sql.auth-method", "none",
                "ferry.report-to-sql.initial-delay-ms", "0"));
        assertThatThrownBy(() -> validate(config))
                .hasMessageContaining("invalid setting ferry.report-to-sql.initial-delay-ms = '0'")
                .hasMessageContaining("milliseconds before the first run (>= 100; sooner, Camel's timer may skip the first"
                        + " run of a replica that has just become the leader)");
        FerryConfig least = config(Map.of(), Map.of("ferry.report-to-sql.auth-method", "none",
                "ferry.report-to-sql.initial-delay-ms", "100"));
        assertThatCode(() -> validate(least)).doesNotThrowAnyException();
    }

    @Test
    void aSwitchedOffPipelineIsNotChecked() {
        FerryConfig config = FerryConfig.load(APP_PROPERTIES, null, Map.of(),
                Map.of("ferry.report-to-sql.enabled", "false", "ferry.report-to-sql.auth-method", "ntlm"));
        assertThatCode(() -> validate(config)).doesNotThrowAnyException();
    }
}
