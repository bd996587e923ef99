package dev.ferry.sql;

import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
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

    /**
     * Fails when the target table's {@code row_hash} is not a binary column. Since migration V2 Ferry writes the hash
     * as 16 bytes; a table left at the old CHAR(64) (a custom migration location without that step) would not fail
     * everywhere: H2 and SQL Server convert the bytes to text, so rows loaded before would no longer match and would
     * be inserted again. This says so at start instead.
     */
    public static void requireBinaryHash(DataSource dataSource, String table) throws SQLException {
        int dot = table.lastIndexOf('.');
        try (Connection c = dataSource.getConnection()) {
            DatabaseMetaData meta = c.getMetaData();
            // the table as the statements see it: in the connection's schema unless named; '_' is no wildcard here
            String schema = dot < 0 ? c.getSchema() : table.substring(0, dot);
            String escape = meta.getSearchStringEscape();
            String name = (dot < 0 ? table : table.substring(dot + 1)).replace("_", escape + "_").replace("%", escape + "%");
            for (String[] candidate : new String[][] {{schema, name},
                    {upper(schema), name.toUpperCase(Locale.ROOT)}, {lower(schema), name.toLowerCase(Locale.ROOT)}}) {
                try (ResultSet columns = meta.getColumns(null, candidate[0], candidate[1], null)) {
                    while (columns.next()) {
                        if (!"row_hash".equalsIgnoreCase(columns.getString("COLUMN_NAME"))) {
                            continue;
                        }
                        int type = columns.getInt("DATA_TYPE");
                        if (type == Types.BINARY || type == Types.VARBINARY || type == Types.LONGVARBINARY) {
                            return;
                        }
                        throw new SchemaMismatchException("table " + table + ": column row_hash is "
                                + columns.getString("TYPE_NAME") + '(' + columns.getInt("COLUMN_SIZE") + "), but Ferry"
                                + " writes a 16-byte binary hash; convert it as db/report-to-sql/<vendor>/V2__row_hash_binary.sql"
                                + " does (ferry.report-to-sql.migrations names a location without that step). Nothing is loaded"
                                + " until then: duplicates of rows loaded before would not be recognised.");
                    }
                }
            }
        }
        throw new SchemaMismatchException("table " + table + " has no row_hash column (or cannot be seen by this user):"
                + " the report-to-sql migrations did not create it");
    }

    private static String upper(String s) {
        return s == null ? null : s.toUpperCase(Locale.ROOT);
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
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
