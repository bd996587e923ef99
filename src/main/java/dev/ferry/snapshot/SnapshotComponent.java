package dev.ferry.snapshot;

import dev.ferry.opensearch.OpenSearchComponent;
import org.apache.camel.Endpoint;

import java.util.Map;

/**
 * {@code ferry-snapshot:<index>?...}: read a consistent snapshot (point in time) of an index, alias or pattern,
 * sliced, page by page. See {@link SnapshotEndpoint}. The connection is the component's, never the URI's:
 * {@code camel.component.ferry-snapshot.hosts} (and {@code .tls}, {@code .user}, {@code .password}) when set,
 * otherwise Ferry's {@code ferry.opensearch.*}.
 */
@org.apache.camel.spi.annotations.Component("ferry-snapshot")
public final class SnapshotComponent extends OpenSearchComponent {

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
}
