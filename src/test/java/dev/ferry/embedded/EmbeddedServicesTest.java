package dev.ferry.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/** Real connections to every embedded service; the last test closes them and checks no child is left. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmbeddedServicesTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    @Order(1)
    void s3ProxyStoresAndReturnsA20MbObject() throws Exception {
        S3ProxyServer s3 = EmbeddedServices.shared().s3();
        assertThat(s3.endpoint().getHost()).isEqualTo("127.0.0.1");
        assertThat(s3.region()).isEqualTo("us-east-1");

        S3Client client = s3.client();
        client.createBucket(b -> b.bucket("embedded-test"));
        byte[] data = new byte[20 * 1024 * 1024];
        new Random(42).nextBytes(data);
        client.putObject(b -> b.bucket("embedded-test").key("dir/big.bin"), RequestBody.fromBytes(data));

        assertThat(client.listObjectsV2(b -> b.bucket("embedded-test").prefix("dir/")).contents())
                .singleElement().satisfies(o -> assertThat(o.size()).isEqualTo(data.length));
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        try (ResponseInputStream<GetObjectResponse> in = client.getObject(b -> b.bucket("embedded-test").key("dir/big.bin"))) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                md5.update(buffer, 0, n);
            }
        }
        assertThat(md5.digest()).isEqualTo(MessageDigest.getInstance("MD5").digest(data));
    }

    @Test
    @Order(2)
    void openSearch2IndexesAndSearches() throws Exception {
        OpenSearchNode node = EmbeddedServices.shared().openSearch();
        assertThat(node.line()).isEqualTo(OpenSearchLine.V2);
        assertThat(node.version()).startsWith("2.");
        indexAndSearch(node);
    }

    @Test
    @Order(3)
    void openSearch3IndexesAndSearches() throws Exception {
        assumeTrue(OpenSearchLine.V3.isAvailable(), () -> OpenSearchLine.V3.unavailableReason().orElse(""));
        OpenSearchNode node = EmbeddedServices.shared().openSearch(OpenSearchLine.V3);
        assertThat(node.line()).isEqualTo(OpenSearchLine.V3);
        assertThat(node.version()).startsWith("3.");
        indexAndSearch(node);
    }

    @Test
    @Order(4)
    void aSeparateNodeHonoursExtraSettingsAndStopsOnClose() throws Exception {
        List<ProcessHandle> tree;
        try (OpenSearchNode node = OpenSearchNode.start(OpenSearchLine.V2, Map.of("thread_pool.write.queue_size", "3"))) {
            assertThat(node.url()).isNotEqualTo(EmbeddedServices.shared().openSearch().url());
            JsonNode nodes = JSON.readTree(get(node.url() + "/_nodes/thread_pool").body()).path("nodes");
            assertThat(nodes.size()).isEqualTo(1);
            JsonNode write = nodes.elements().next().path("thread_pool").path("write");
            assertThat(write.path("queue_size").asInt()).isEqualTo(3);
            tree = node.process().processTree();
            assertThat(tree).allMatch(ProcessHandle::isAlive);
        }
        assertThat(tree).noneMatch(ProcessHandle::isAlive);
    }

    @Test
    @Order(5)
    void postgresGivesEachTestItsOwnDatabaseWithPasswordAuth() throws Exception {
        PostgresServer pg = EmbeddedServices.shared().postgres();
        String url = pg.createDatabase("embedded_test");
        assertThat(url).isEqualTo(pg.jdbcUrl("embedded_test")).startsWith("jdbc:postgresql://127.0.0.1:");

        try (Connection c = DriverManager.getConnection(url, pg.user(), pg.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)");
            assertThat(s.executeUpdate("INSERT INTO item VALUES (1, 'one'), (2, 'two')")).isEqualTo(2);
            try (ResultSet rs = s.executeQuery("SELECT string_agg(name, ',' ORDER BY id), current_database() FROM item")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("one,two");
                assertThat(rs.getString(2)).isEqualTo("embedded_test");
            }
        }
        assertThatThrownBy(() -> DriverManager.getConnection(url, pg.user(), "wrong").close())
                .isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");
    }

    @Test
    @Order(6)
    void closingStopsEveryChildProcess() {
        EmbeddedServices services = EmbeddedServices.shared();
        List<ChildProcess> children = new ArrayList<>(List.of(services.s3().process(), services.postgres().process()));
        for (OpenSearchLine line : OpenSearchLine.values()) {
            if (line.isAvailable()) {
                children.add(services.openSearch(line).process());
            }
        }
        System.out.println("[embedded] start times (ms): " + services.startMillis());
        assertThat(children).allMatch(ChildProcess::isAlive);
        // watchdogs, their JVMs / postgres and all postgres backends, as they are now
        List<ProcessHandle> tree = new ArrayList<>();
        children.forEach(c -> tree.addAll(c.processTree()));
        assertThat(tree).hasSizeGreaterThan(children.size()); // postgres runs under its watchdog

        services.close();

        assertThat(tree).noneMatch(ProcessHandle::isAlive);
        assertThat(EmbeddedServices.shared()).isNotSameAs(services);
    }

    @Test
    @Order(7)
    void childrenDieWithAKilledParentJvm() throws Exception {
        // a second JVM starts services, then gets SIGKILLed: no shutdown hook runs, only the watchdogs act
        Process parent = new ProcessBuilder(EmbeddedPaths.currentJava().toString(), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"),
                "-Dferry.embedded.dir=" + EmbeddedPaths.root(),
                EmbeddedServicesMain.class.getName(), "s3", "postgres", "opensearch")
                .redirectErrorStream(true).start();
        List<ProcessHandle> children = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8))) {
            StringBuilder seen = new StringBuilder();
            for (String line; (line = out.readLine()) != null && !line.equals("ready"); ) {
                seen.append(line).append('\n');
                if (line.startsWith("pids ")) {
                    for (String pid : line.substring(5).trim().split(" ")) {
                        ProcessHandle.of(Long.parseLong(pid)).ifPresent(children::add);
                    }
                }
            }
            assertThat(children).as(seen.toString()).hasSizeGreaterThanOrEqualTo(4);
            assertThat(children.get(0).parent().map(ProcessHandle::pid)).contains(parent.pid());
            parent.destroyForcibly().waitFor(); // SIGKILL
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (children.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(children).noneMatch(ProcessHandle::isAlive);
    }

    private static void indexAndSearch(OpenSearchNode node) throws Exception {
        assertThat(node.url()).startsWith("http://127.0.0.1:");
        HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/embedded-test/_doc/1?refresh=true"))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"ferry\",\"n\":1}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
        JsonNode hits = JSON.readTree(get(node.url() + "/embedded-test/_search?q=name:ferry").body()).path("hits");
        assertThat(hits.path("total").path("value").asInt()).isEqualTo(1);
        assertThat(hits.path("hits").get(0).path("_source").path("n").asInt()).isEqualTo(1);
        JsonNode settings = JSON.readTree(get(node.url() + "/embedded-test/_settings").body());
        assertThat(settings.path("embedded-test").path("settings").path("index").path("number_of_replicas").asText())
                .isEqualTo("0");
        assertThat(JSON.readTree(get(node.url() + "/_cluster/health").body()).path("status").asText()).isEqualTo("green");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
