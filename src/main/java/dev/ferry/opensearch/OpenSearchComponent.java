package dev.ferry.opensearch;

import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import java.util.Arrays;

/**
 * What Ferry's OpenSearch components ({@code ferry-bulk}, {@code ferry-snapshot}) share: the connection is the
 * component's, never the URI's: {@code camel.component.<name>.hosts} (and {@code .tls}, {@code .user},
 * {@code .password}) when set, otherwise Ferry's {@code ferry.opensearch.*}.
 */
public abstract class OpenSearchComponent extends DefaultComponent {

    @Metadata(description = "OpenSearch nodes of one cluster, comma-separated host:port (default: ferry.opensearch.hosts)")
    private String hosts;
    @Metadata(defaultValue = "false", description = "HTTPS with the JVM's trust store (only with hosts)")
    private boolean tls;
    @Metadata(description = "Basic auth user (only with hosts)")
    private String user;
    @Metadata(label = "security", secret = true, description = "Basic auth password (only with hosts)")
    private String password;

    public OpenSearchConnection connection() {
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
