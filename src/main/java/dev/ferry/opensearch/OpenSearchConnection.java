package dev.ferry.opensearch;

import org.apache.camel.spi.PropertiesComponent;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.function.Function;

/**
 * How to reach OpenSearch: {@code ferry.opensearch.hosts} (comma-separated {@code host:port}, nodes of one cluster),
 * {@code .tls}, {@code .user} and {@code .password}, read and parsed here only, for the readiness check and both
 * pipelines. The password goes into an Authorization header or the HTTP client's credentials only: {@link #toString()}
 * never shows it.
 */
public record OpenSearchConnection(List<String> hosts, boolean tls, String user, String password) {

    public static final String PREFIX = "ferry.opensearch.";

    public OpenSearchConnection {
        hosts = hosts.stream().map(String::trim).filter(h -> !h.isEmpty()).toList();
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("missing setting " + PREFIX + "hosts");
        }
        user = user == null || user.isBlank() ? null : user.trim();
        password = password == null || password.isEmpty() ? null : password;
    }

    public static OpenSearchConnection from(PropertiesComponent pc) {
        return from(key -> pc.resolveProperty(key).orElse(null));
    }

    /** From a settings lookup (key to value, null when unset). */
    public static OpenSearchConnection from(Function<String, String> settings) {
        String hosts = settings.apply(PREFIX + "hosts");
        String tls = settings.apply(PREFIX + "tls");
        String password = settings.apply(PREFIX + "password");
        return new OpenSearchConnection(hosts == null ? List.of() : Arrays.asList(hosts.split(",")),
                tls != null && Boolean.parseBoolean(tls.trim()), settings.apply(PREFIX + "user"),
                password == null ? null : password.trim());
    }

    /** {@code http(s)://host:port} of each host, in the configured order. */
    public List<URI> baseUris() {
        return hosts.stream().map(h -> URI.create((tls ? "https://" : "http://") + h)).toList();
    }

    /** The {@code Authorization} header value for Basic auth, or null when no user is set. */
    public String basicAuthorization() {
        return user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + (password == null ? "" : password)).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "OpenSearchConnection[hosts=" + hosts + ", tls=" + tls + ", user=" + user
                + (password == null ? "" : ", password=<hidden>") + "]";
    }
}
