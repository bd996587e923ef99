package dev.ferry;

import dev.ferry.config.FerryConfig;
import dev.ferry.testing.FerryUnderTest;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * In the dev profile an edited YAML route takes effect in the running process: no rebuild, no restart. Ferry is
 * started as {@code target/ferry/bin/ferry --profile=dev} starts it in a checkout (the launcher's configuration, the
 * checkout as working directory, FERRY_HOME at the packaged copy), and the file edited is the checkout's.
 */
class RouteReloadTest {

    private static String greetingRoute(String greeting) {
        return """
                - route:
                    id: greeting
                    description: Answers with a greeting (a stand-in for a pipeline an operator edits)
                    from:
                      uri: direct:greeting
                      steps:
                        - setBody:
                            constant: "%s"
                """.formatted(greeting);
    }

    private static Path copyOfTheProject(Path dir) throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (var files = Files.list(FerryUnderTest.PROJECT_DIR.resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Files.copy(FerryUnderTest.PROJECT_DIR.resolve("application.properties"), dir.resolve("application.properties"));
        return routes;
    }

    @Test
    void editingARouteFileOfTheCheckoutChangesBehaviourWithoutARebuild(@TempDir Path checkout) throws Exception {
        Path routes = copyOfTheProject(checkout);
        // The packaged copy (what bin/ferry used to read and watch): its stale route must not be the one running.
        Path home = checkout.resolve("target/ferry");
        Files.writeString(copyOfTheProject(home).resolve("greeting.camel.yaml"), greetingRoute("stale copy in target/ferry"));
        // A switched-off pipeline's route must neither start nor break the reload (Camel 4.17 fails a reload on
        // routes that were created but never started: Ferry does not create them).
        Files.writeString(routes.resolve("probe.camel.yaml"), """
                - route:
                    id: opensearch-to-s3-reload-probe
                    description: A route of a pipeline that is switched off
                    autoStartup: "{{ferry.opensearch-to-s3.enabled}}"
                    from:
                      uri: timer:reload-probe
                      steps:
                        - log: "probe"
                """);
        Path route = routes.resolve("greeting.camel.yaml");
        Files.writeString(route, greetingRoute("hello from version 1"));

        int port = FerryUnderTest.freePort();
        FerryConfig config = FerryApplication.configure(new String[] {"--profile=dev",
                "ferry.management.port=" + port, "camel.management.host=127.0.0.1",
                "ferry.db.url=jdbc:h2:mem:reload-" + port, "ferry.opensearch-to-s3.enabled=false"},
                Map.of("FERRY_HOME", home.toString()), checkout);
        assertThat(config.get("ferry.routes-dir")).isEqualTo(routes.toString());
        try (Ferry ferry = Ferry.create(config).start()) {
            assertThat(ferry.camelContext().getRoute("opensearch-to-s3-reload-probe")).isNull();
            ProducerTemplate template = ferry.camelContext().createProducerTemplate();
            assertThat(template.requestBody("direct:greeting", "", String.class)).isEqualTo("hello from version 1");

            Files.writeString(route, greetingRoute("hello from version 2"));

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(template.requestBody("direct:greeting", "", String.class)).isEqualTo("hello from version 2"));
            assertThat(ferry.camelContext().getRoute("opensearch-to-s3-reload-probe")).isNull();
        }
    }
}
