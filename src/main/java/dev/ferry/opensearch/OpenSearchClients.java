package dev.ferry.opensearch;

import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.opensearch.client.RestClient;

import javax.net.ssl.SSLContext;
import java.security.NoSuchAlgorithmException;

/**
 * Builds the low-level OpenSearch RestClient (the one camel-opensearch and opensearch-java ship) from Ferry's {@code ferry.opensearch.*}
 * settings: hosts, Basic auth, TLS with the JVM's trust store. The password is handed to the HTTP client only.
 */
public final class OpenSearchClients {

    private OpenSearchClients() {
    }

    /**
     * The low-level client under opensearch-java's transport: plain requests, pooled connections, auth, TLS, and every
     * host of the connection (the RestClient spreads requests over them, skipping one that failed).
     */
    public static RestClient restClient(OpenSearchConnection connection, int timeoutMs, int maxConnections) {
        boolean tls = connection.tls();
        String user = connection.user();
        String password = connection.password();
        HttpHost[] httpHosts = connection.baseUris().stream()
                .map(uri -> new HttpHost(uri.getScheme(), uri.getHost(), uri.getPort()))
                .toArray(HttpHost[]::new);
        RestClient rest = RestClient.builder(httpHosts)
                .setRequestConfigCallback(rc -> rc.setResponseTimeout(Timeout.ofMilliseconds(timeoutMs))
                        .setConnectionRequestTimeout(Timeout.ofMilliseconds(timeoutMs)))
                .setHttpClientConfigCallback(http -> {
                    PoolingAsyncClientConnectionManagerBuilder cm = PoolingAsyncClientConnectionManagerBuilder.create()
                            .setMaxConnTotal(maxConnections).setMaxConnPerRoute(maxConnections);
                    if (tls) {
                        try {
                            cm.setTlsStrategy(ClientTlsStrategyBuilder.create().setSslContext(SSLContext.getDefault()).build());
                        } catch (NoSuchAlgorithmException e) {
                            throw new IllegalStateException("no TLS available in this JVM", e);
                        }
                    }
                    http.setConnectionManager(cm.build());
                    if (user != null && !user.isBlank()) {
                        BasicCredentialsProvider credentials = new BasicCredentialsProvider();
                        for (HttpHost host : httpHosts) {
                            credentials.setCredentials(new AuthScope(host),
                                    new UsernamePasswordCredentials(user, password == null ? new char[0] : password.toCharArray()));
                        }
                        http.setDefaultCredentialsProvider(credentials);
                    }
                    return http;
                })
                .build();
        return rest;
    }
}
