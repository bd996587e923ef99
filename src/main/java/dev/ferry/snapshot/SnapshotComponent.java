package dev.ferry.snapshot;

import dev.ferry.opensearch.OpenSearchConnection;
import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import java.util.Arrays;
import java.util.Map;

/**
 * {@code ferry-snapshot:<index>?...}: read a consistent snapshot (point in time) of an index, alias or pattern,
 * sliced, page by page. See {@link SnapshotEndpoint}. The connection is the component's, never the URI's:
 * {@code camel.component.ferry-snapshot.hosts} (and {@code .tls}, {@code .user}, {@code .password}) when set,
 * otherwise Ferry's {@code ferry.opensearch.*}.
 */
@org.apache.camel.spi.annotations.Component("ferry-snapshot")
public final class SnapshotComponent extends DefaultComponent {

    @Metadata(description = "OpenSearch nodes of one cluster, comma-separated host:port (default: ferry.opensearch.hosts)")
    private String hosts;
    @Metadata(defaultValue = "false", description = "HTTPS with the JVM's trust store (only with hosts)")
    private boolean tls;
    @Metadata(description = "Basic auth user (only with hosts)")
    private String user;
    @Metadata(label = "security", secret = true, description = "Basic auth password (only with hosts)")
    private String password;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("ferry-snapshot needs an index (alias, pattern): ferry-snapshot:<index>");
        }
        SnapshotEndpoint endpoint = new SnapshotEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        endpoint.validate();
        return endpoint;
    }

    OpenSearchConnection connection() {
        if (hosts != null && !hosts.isBlank()) {
            return new OpenSearchConnection(Arrays.asList(hosts.split(",")), tls, user, password);
        }
        return OpenSearchConnection.from(getCamelContext().getPropertiesComponent());
    }

    public String getHosts() { return hosts; }
    public void setHosts(String hosts) { this.hosts = hosts; }
    public boolean isTls() { return tls; }
    public void setTls(boolean tls) { this.tls = tls; }
    public String getUser() { return user; }
    public void setUser(String user) { this.user = user; }
    public String getPassword() { return password; }
    public void setPassword(String password) { this.password = password; }
}
