package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.report.ReportServer;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.ferry.report.ReportToSqlFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTPS to a report server whose certificate comes from a private CA (here: self-signed, made with keytool): trusted
 * through ferry.report-to-sql.truststore, refused without it or with a trust store that lacks it (at once: a trust
 * problem is never retried). NTLM over TLS, H2 as the target.
 */
class ReportToSqlTlsTest {

    private static final String STORE_PASSWORD = "server-store-pw";
    private static final String TRUST_PASSWORD = "trust-store-pw";

    @TempDir
    static Path dir;
    private static SSLContext serverTls;
    private static Path trustStore;
    /** a trust store holding some other certificate, not the report server's */
    private static Path otherTrustStore;

    @BeforeAll
    static void selfSignedCertificate() throws Exception {
        Path keyStore = dir.resolve("report-server.p12");
        Path cert = dir.resolve("report-server.cer");
        trustStore = dir.resolve("ferry-trust.p12");
        keytool("-genkeypair", "-alias", "report-server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "report-server", "-keystore", keyStore.toString(), "-storepass", STORE_PASSWORD,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "report-server", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trustStore.toString(), "-storepass", TRUST_PASSWORD);
        Path otherKeyStore = dir.resolve("other.p12");
        Path otherCert = dir.resolve("other.cer");
        otherTrustStore = dir.resolve("other-trust.p12");
        keytool("-genkeypair", "-alias", "other", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=other.example.com", "-storetype", "PKCS12",
                "-keystore", otherKeyStore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        keytool("-exportcert", "-alias", "other", "-keystore", otherKeyStore.toString(), "-storepass", STORE_PASSWORD,
                "-file", otherCert.toString());
        keytool("-importcert", "-noprompt", "-alias", "other", "-file", otherCert.toString(), "-storetype", "PKCS12",
                "-keystore", otherTrustStore.toString(), "-storepass", TRUST_PASSWORD);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            ks.load(in, STORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, STORE_PASSWORD.toCharArray());
        serverTls = SSLContext.getInstance("TLS");
        serverTls.init(kmf.getKeyManagers(), null, null);
    }

    @Test
    void aReportServerWithAPrivateCertificateIsReadOverHttpsWithTheConfiguredTrustStore() throws Exception {
        String db = h2Url();
        try (ReportServer server = httpsServer()) {
            assertThat(server.baseUrl()).startsWith("https://");
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1);
            settings.put("ferry.report-to-sql.truststore", trustStore.toString());
            settings.put("ferry.report-to-sql.truststore-password", TRUST_PASSWORD);
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).as(run.summary()).isEqualTo(RunAccount.Status.SUCCEEDED);
                assertThat(run.written()).isEqualTo(40);
            }
            assertThat(actual(db, "report_tracking")).isEqualTo(expected(server, START, START.plusHours(1)));
        }
    }

    @Test
    void withoutTheTrustStoreTheCertificateIsRefusedAtOnceAndNothingIsLoaded() throws Exception {
        String db = h2Url();
        try (ReportServer server = httpsServer()) {
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1); // 3 retries for a timeout
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.retried()).isZero();
                assertThat(run.failure()).contains("127.0.0.1:" + server.port())
                        .contains("not trusted by the JVM's default trust store")
                        .contains("ferry.report-to-sql.truststore").contains("SSLHandshakeException");
            }
            assertThat(server.tlsConnections()).isEqualTo(1);
            assertThat(server.requests()).isEmpty();
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isZero();
        }
    }

    @Test
    void aTrustStoreWithoutTheServersCertificateFailsTheRunAtOnceAndTheWatermarkStays() throws Exception {
        String db = h2Url();
        try (ReportServer server = httpsServer()) {
            Map<String, String> settings = settings(server, db, START.plusHours(1), 1); // 3 retries for a timeout
            settings.put("ferry.report-to-sql.truststore", otherTrustStore.toString());
            settings.put("ferry.report-to-sql.truststore-password", TRUST_PASSWORD);
            try (FerryUnderTest ferry = FerryUnderTest.start(settings)) {
                RunAccount run = awaitRuns(ferry, 1).get(0);
                assertThat(run.status()).isEqualTo(RunAccount.Status.FAILED);
                assertThat(run.retried()).isZero();
                assertThat(run.failure()).contains("127.0.0.1:" + server.port())
                        .contains("not trusted by the trust store ferry.report-to-sql.truststore = " + otherTrustStore)
                        .doesNotContain(TRUST_PASSWORD);
            }
            // one handshake reached the server, none became a request; no retry hit it again
            assertThat(server.tlsConnections()).isEqualTo(1);
            assertThat(server.requests()).isEmpty();
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'FAILED'"
                    + " AND error LIKE '%not trusted%'")).isEqualTo(1);
            assertThat(count(db, "SELECT COUNT(*) FROM report_to_sql_runs WHERE status = 'SUCCEEDED'")).isZero();
            assertThat(count(db, "SELECT COUNT(*) FROM report_tracking")).isZero();
        }
    }

    private static ReportServer httpsServer() {
        return ReportServer.start(ReportServer.Settings.defaults().plants(PLANTS).rowsPerHour(10)
                .ntlm(DOMAIN, USER, PASSWORD).https(serverTls));
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
    }
}
