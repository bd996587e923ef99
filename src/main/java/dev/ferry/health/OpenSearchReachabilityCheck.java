package dev.ferry.health;

import dev.ferry.opensearch.OpenSearchConnection;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Readiness: at least one configured OpenSearch host answers {@code _cluster/health} with a status other than red. */
public final class OpenSearchReachabilityCheck extends AbstractHealthCheck {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final List<URI> healthUris;
    private final String authorization;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public OpenSearchReachabilityCheck(OpenSearchConnection connection) {
        super("ferry", "opensearch");
        this.healthUris = connection.baseUris().stream().map(base -> base.resolve("/_cluster/health")).toList();
        this.authorization = connection.basicAuthorization();
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Probe probe = probe();
        if (probe.upHost() != null) {
            builder.detail("host", probe.upHost()).up();
        } else {
            builder.message(probe.downReason()).down();
        }
    }

    /**
     * Why OpenSearch is out (no host answers, or answers 5xx or cluster status red), or null. A host answering 4xx
     * (wrong credentials, not OpenSearch at that address) is no outage but a mistake, which the runs report loudly;
     * s3-to-opensearch pauses its polling only during an outage.
     */
    public String outageReason() {
        Probe probe = probe();
        return probe.downReason() == null || (probe.status() >= 400 && probe.status() < 500) ? null : probe.downReason();
    }

    private record Probe(String upHost, String downReason, int status) {
    }

    private Probe probe() {
        String last = "no host configured";
        int lastStatus = 0;
        for (URI uri : healthUris) {
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(TIMEOUT).GET();
                if (authorization != null) {
                    request.header("Authorization", authorization);
                }
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 && !response.body().contains("\"status\":\"red\"")) {
                    return new Probe(uri.getAuthority(), null, 200);
                }
                lastStatus = response.statusCode();
                last = uri.getAuthority() + " answered " + response.statusCode()
                        + (response.statusCode() == 200 ? " with cluster status red" : "");
            } catch (Exception e) {
                lastStatus = 0;
                last = uri.getAuthority() + ": " + e.getClass().getSimpleName() + " " + e.getMessage();
            }
        }
        return new Probe(null, "OpenSearch not reachable: " + last, lastStatus);
    }
}
