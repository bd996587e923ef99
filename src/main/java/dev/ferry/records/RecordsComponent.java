package dev.ferry.records;

import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.Map;

/** {@code ferry-records:<operation>?...}: Data Prepper-style operations on the records of a batch. See {@link RecordsEndpoint}. */
@org.apache.camel.spi.annotations.Component("ferry-records")
public final class RecordsComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        RecordsEndpoint endpoint = new RecordsEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
