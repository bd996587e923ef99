package dev.ferry.embedded;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL tests need no OS install: with the OS binaries ruled out ({@code ferry.postgres.binaries=maven}),
 * a server starts from the binaries the build copied from Maven Central (as an unprivileged user when this JVM is
 * root) and answers SQL; its version is the Maven artifact's, not the OS package's.
 */
class PostgresBinariesTest {

    @Test
    void aServerStartsFromTheMavenBinariesAlone() throws Exception {
        startsFromTheMavenBinaries(null);
    }

    /** A machine without the OS package has no postgres user: as root, the server then runs as nobody. */
    @Test
    void asRootWithoutAPostgresUserTheServerRunsAsNobody() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only meaningful as root");
        startsFromTheMavenBinaries("nobody");
    }

    private static void startsFromTheMavenBinaries(String runAs) throws Exception {
        String before = System.getProperty(PostgresServer.BINARIES_PROPERTY);
        System.setProperty(PostgresServer.BINARIES_PROPERTY, "maven");
        if (runAs != null) {
            System.setProperty(PostgresServer.RUN_AS_PROPERTY, runAs);
        }
        try (PostgresServer server = PostgresServer.start()) {
            assertThat(server.binDir().toString()).doesNotStartWith("/usr/");
            assertThat(PostgresServer.version(server.binDir())).startsWith("postgres (PostgreSQL) 17.");
            try (Connection c = server.connect("postgres"); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int / 10000")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(17);
            }
            if (runAs != null) {
                // one snapshot per process: a backend that exits between two info() calls (a connection's, the
                // check's own) would show its command in the first and no user in the second
                assertThat(server.process().processTree().stream().map(ProcessHandle::info).toList()).as("the postgres server process")
                        .filteredOn(i -> i.command().orElse("").endsWith("/postgres") && i.user().isPresent())
                        .isNotEmpty().allMatch(i -> i.user().get().equals(runAs));
            }
        } finally {
            System.clearProperty(PostgresServer.RUN_AS_PROPERTY);
            if (before == null) {
                System.clearProperty(PostgresServer.BINARIES_PROPERTY);
            } else {
                System.setProperty(PostgresServer.BINARIES_PROPERTY, before);
            }
        }
    }
}
