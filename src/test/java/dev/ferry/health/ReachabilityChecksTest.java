package dev.ferry.health;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ferry.embedded.EmbeddedServices;
import dev.ferry.embedded.FreePorts;
import dev.ferry.embedded.OpenSearchNode;
import dev.ferry.embedded.PostgresServer;
import dev.ferry.embedded.S3ProxyServer;
import dev.ferry.opensearch.OpenSearchConnection;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Readiness checks against the real services: UP when reachable, DOWN with a reason that names what is wrong. */
class ReachabilityChecksTest {

    private static DefaultCamelContext camel;

    @BeforeAll
    static void context() {
        camel = new DefaultCamelContext();
    }

    @AfterAll
    static void stop() throws Exception {
        camel.close();
    }

    private static HealthCheck.Result call(AbstractHealthCheck check) {
        check.setCamelContext(camel);
        return check.call();
    }

    @Test
    void s3IsUpWhenTheBucketsExistAndDownNamingAMissingOne() {
        S3ProxyServer s3 = EmbeddedServices.shared().s3();
        String bucket = "health-" + UUID.randomUUID();
        s3.client().createBucket(b -> b.bucket(bucket));
        assertThat(call(new S3ReachabilityCheck(s3.client(), List.of(bucket))).getState()).isEqualTo(HealthCheck.State.UP);

        HealthCheck.Result missing = call(new S3ReachabilityCheck(s3.client(), List.of(bucket, "no-such-bucket-x")));
        assertThat(missing.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(missing.getDetails()).containsEntry("bucket", "no-such-bucket-x");
        assertThat(missing.getMessage()).hasValue("S3 bucket no-such-bucket-x does not exist");
    }

    @Test
    void openSearchIsUpOnARealNodeAndDownOnAClosedPort() throws Exception {
        OpenSearchNode node = EmbeddedServices.shared().openSearch();
        assertThat(call(new OpenSearchReachabilityCheck(
                new OpenSearchConnection(List.of(node.hostAddress()), false, null, null))).getState())
                .isEqualTo(HealthCheck.State.UP);
        int closed = FreePorts.next();
        HealthCheck.Result down = call(new OpenSearchReachabilityCheck(
                new OpenSearchConnection(List.of("127.0.0.1:" + closed), false, "u", "pw-secret")));
        assertThat(down.getState()).isEqualTo(HealthCheck.State.DOWN);
        assertThat(down.getMessage()).hasValueSatisfying(m -> assertThat(m)
                .contains("127.0.0.1:" + closed).doesNotContain("pw-secret"));
    }

    @Test
    void theDatabaseIsUpOnARealPostgresqlAndDownWithAWrongPassword() {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        String url = pg.createDatabase("health_" + UUID.randomUUID().toString().replace("-", ""));
        try (HikariDataSource good = pool(url, pg.user(), pg.password());
             HikariDataSource bad = pool(url, pg.user(), "wrong-password-123")) {
            HealthCheck.Result up = call(new DatabaseReachabilityCheck(good));
            assertThat(up.getState()).isEqualTo(HealthCheck.State.UP);
            assertThat(up.getDetails()).containsEntry("database", "PostgreSQL");
            HealthCheck.Result down = call(new DatabaseReachabilityCheck(bad));
            assertThat(down.getState()).isEqualTo(HealthCheck.State.DOWN);
            assertThat(down.getMessage()).hasValueSatisfying(m -> assertThat(m)
                    .startsWith("database not reachable").doesNotContain("wrong-password-123"));
        }
    }

    private static HikariDataSource pool(String url, String user, String password) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(3000);
        return new HikariDataSource(config);
    }
}
