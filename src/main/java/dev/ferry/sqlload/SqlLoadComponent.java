package dev.ferry.sqlload;

import org.apache.camel.Endpoint;
import org.apache.camel.spi.Metadata;
import org.apache.camel.support.DefaultComponent;

import javax.sql.DataSource;
import java.util.Map;

/** {@code ferry-sql-load:<table>?...}: loads batches of rows into a table with dedupe and per-row rejects. See {@link SqlLoadEndpoint}. */
@org.apache.camel.spi.annotations.Component("ferry-sql-load")
public final class SqlLoadComponent extends DefaultComponent {

    @Metadata(description = "The database for endpoints that name none; default: the registry's only DataSource")
    private DataSource dataSource;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        SqlLoadEndpoint endpoint = new SqlLoadEndpoint(uri, this, remaining);
        // the registry's only DataSource when none is set (no generated configurer here, so no Camel autowiring)
        endpoint.setDataSource(dataSource != null ? dataSource
                : getCamelContext().getRegistry().findSingleByType(DataSource.class));
        setProperties(endpoint, parameters);
        return endpoint;
    }

    public DataSource getDataSource() {
        return dataSource;
    }

    public void setDataSource(DataSource dataSource) {
        this.dataSource = dataSource;
    }
}
