package dev.ferry.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SecretsTest {

    @Test
    void secretNamedSettingsPasswordsInUrlsAndSecretNamedVariablesAreFoundAndMasked() {
        FerryConfig config = FerryConfig.load(Path.of("application.properties"), null,
                Map.of("FERRY_S3_SECRET_KEY", "env-secret-key-1", "SOME_API_TOKEN", "token-value-2"),
                Map.of("ferry.db.url", "jdbc:sqlserver://h:1433;user=u;password=ms-url-secret-3;encrypt=true",
                        "ferry.s3.endpoint", "http://user:userinfo-secret-4@host:9000",
                        "ferry.opensearch.password", "os pass/5&"));
        assertThat(Secrets.of(config)).contains("env-secret-key-1", "token-value-2", "ms-url-secret-3",
                "userinfo-secret-4", "os pass/5&").doesNotContain("u", "h:1433");
        Secrets.register(Secrets.of(config));
        assertThat(Secrets.mask("url=jdbc:sqlserver://h:1433;user=u;password=ms-url-secret-3;encrypt=true"))
                .isEqualTo("url=jdbc:sqlserver://h:1433;user=u;password=****;encrypt=true");
        // a secret as an endpoint URI carries it, URL-encoded
        assertThat(Secrets.mask("opensearch://x?password=os+pass%2F5%26 and os pass/5&")).isEqualTo(
                "opensearch://x?password=**** and ****");
    }

    @Test
    void veryShortValuesAreNotMaskedSoLinesStayReadable() {
        Secrets.register(List.of("ab"));
        assertThat(Secrets.mask("a table")).isEqualTo("a table");
    }
}
