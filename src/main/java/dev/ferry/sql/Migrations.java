package dev.ferry.sql;

import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;

/**
 * Creates and evolves the report-to-sql tables with Flyway: versioned scripts per database in
 * {@code db/report-to-sql/<vendor>} (sqlserver, postgresql, h2), table names as placeholders, and a history table
 * of its own so other pipelines can migrate the same database independently.
 */
public final class Migrations {

    public static final String HISTORY_TABLE = "flyway_report_to_sql_history";

    private Migrations() {
    }

    /** Migrates and returns the vendor whose scripts were applied. */
    public static String migrate(DataSource dataSource, String locations, Map<String, String> tables) throws SQLException {
        return migrate(dataSource, locations, tables, "latest");
    }

    /** Migrates up to {@code target} (a version, or "latest"): tests start from an older schema this way. */
    static String migrate(DataSource dataSource, String locations, Map<String, String> tables, String target) throws SQLException {
        String vendor = vendor(dataSource);
        Flyway.configure()
                .dataSource(dataSource)
                .locations(locations.replace("{vendor}", vendor).split("\\s*,\\s*"))
                .table(HISTORY_TABLE)
                .placeholders(tables)
                .baselineOnMigrate(true) // the target database usually has other tables already
                .baselineVersion("0")
                .target(target)
                .load()
                .migrate();
        return vendor;
    }

    public static String vendor(DataSource dataSource) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
            if (product.contains("postgres")) {
                return "postgresql";
            }
            if (product.contains("h2")) {
                return "h2";
            }
            if (product.contains("sql server")) {
                return "sqlserver";
            }
            throw new SQLException("report-to-sql has migrations for SQL Server, PostgreSQL and H2, not for " + product);
        }
    }
}
