package dev.ferry.health;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Readiness: at least one configured OpenSearch host answers {@code _cluster/health} with a status other than red. */
public final class OpenSearchReachabilityCheck extends AbstractHealthCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final List<URI> healthUris;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public OpenSearchReachabilityCheck(List<String> hostPorts, boolean tls, String user, String password) {
        super("ferry", "opensearch");
        this.healthUris = hostPorts.stream()
                .map(h -> URI.create((tls ? "https://" : "http://") + h.trim() + "/_cluster/health")).toList();
        this.authorization = user == null || user.isBlank() ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ':' + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        String last = "no host configured";
        for (URI uri : healthUris) {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
                if (authorization != null) {
                    request.header("Authorization", authorization);
                }
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && !response.body().contains("\"status\":\"red\"")) {
                    builder.detail("host", uri.getAuthority()).up();
                    return;
                }
                last = uri.getAuthority() + " answered " + response.statusCode()
                        + (response.statusCode() == 200 ? " with cluster status red" : "");
            } catch (Exception e) {
                last = uri.getAuthority() + ": " + e.getClass().getSimpleName() + " " + e.getMessage();
            }
        }
        builder.message("OpenSearch not reachable: " + last).down();
    }
}
