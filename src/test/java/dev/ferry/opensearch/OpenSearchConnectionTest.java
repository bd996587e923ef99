package dev.ferry.opensearch;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ferry.opensearch.* settings, read once for the readiness check and both pipelines. */
class OpenSearchConnectionTest {

    @Test
    void everyHostIsKeptInOrderWithTheSchemeAndBasicAuthFromTheSettings() {
        OpenSearchConnection c = OpenSearchConnection.from(Map.of(
                "ferry.opensearch.hosts", " os-1:9200, os-2:9201 ,,",
                "ferry.opensearch.tls", "true",
                "ferry.opensearch.user", " ferry ",
                "ferry.opensearch.password", "s3cret:pw")::get);
        assertThat(c.hosts()).containsExactly("os-1:9200", "os-2:9201");
        assertThat(c.baseUris()).containsExactly(URI.create("https://os-1:9200"), URI.create("https://os-2:9201"));
        assertThat(c.basicAuthorization()).isEqualTo("Basic "
                + Base64.getEncoder().encodeToString("ferry:s3cret:pw".getBytes(StandardCharsets.UTF_8)));
        assertThat(c.toString()).contains("os-1:9200", "ferry").doesNotContain("s3cret");
    }

    @Test
    void withoutUserTlsOrPasswordItIsPlainHttpWithoutAuthorization() {
        OpenSearchConnection c = OpenSearchConnection.from(Map.of("ferry.opensearch.hosts", "localhost:9200",
                "ferry.opensearch.user", "", "ferry.opensearch.password", "")::get);
        assertThat(c.tls()).isFalse();
        assertThat(c.user()).isNull();
        assertThat(c.password()).isNull();
        assertThat(c.basicAuthorization()).isNull();
        assertThat(c.baseUris()).containsExactly(URI.create("http://localhost:9200"));
        assertThat(c.baseUris().get(0).resolve("/_cluster/health")).isEqualTo(URI.create("http://localhost:9200/_cluster/health"));
    }

    @Test
    void noHostIsNamedAsAMissingSetting() {
        assertThatThrownBy(() -> OpenSearchConnection.from(Map.of("ferry.opensearch.hosts", " , ")::get))
                .hasMessageContaining("missing setting ferry.opensearch.hosts");
    }
}
