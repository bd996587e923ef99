package dev.ferry.health;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import javax.sql.DataSource;
import java.sql.Connection;
import java.util.Map;

/** Readiness: a pooled connection to the target database is valid. */
public final class DatabaseReachabilityCheck extends AbstractHealthCheck {

    private final DataSource dataSource;

    public DatabaseReachabilityCheck(DataSource dataSource) {
        super("ferry", "database");
        this.dataSource = dataSource;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        try (Connection connection = dataSource.getConnection()) {
            if (connection.isValid(3)) {
                builder.detail("database", connection.getMetaData().getDatabaseProductName()).up();
            } else {
                builder.message("database connection is not valid").down();
            }
        } catch (Exception e) {
            builder.message("database not reachable: " + e.getMessage()).error(e).down();
        }
    }
}
