package dev.ferry.bulk;

import dev.ferry.opensearch.OpenSearchComponent;
import org.apache.camel.Endpoint;

import java.util.Map;

/**
 * {@code ferry-bulk:<index>?...}: bulk-index a batch of documents into OpenSearch, item by item. See
 * {@link BulkEndpoint}. The connection is the component's, never the URI's: {@code camel.component.ferry-bulk.hosts}
 * (and {@code .tls}, {@code .user}, {@code .password}) when set, otherwise Ferry's {@code ferry.opensearch.*}.
 */
@org.apache.camel.spi.annotations.Component("ferry-bulk")
public final class BulkComponent extends OpenSearchComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        if (remaining == null || remaining.isBlank()) {
            throw new IllegalArgumentException("ferry-bulk needs a default index: ferry-bulk:<index>");
        }
        BulkEndpoint endpoint = new BulkEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
