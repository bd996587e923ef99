package dev.ferry;

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

/** In the dev profile an edited YAML route takes effect in the running process: no rebuild, no restart. */
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

    @Test
    void editingARouteFileChangesBehaviourWithoutARebuild(@TempDir Path routes) throws Exception {
        try (var files = Files.list(FerryUnderTest.PROJECT_DIR.resolve("routes"))) {
            for (Path f : files.toList()) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
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

        try (FerryUnderTest ferry = FerryUnderTest.start("dev", Map.of("ferry.routes-dir", routes.toString(),
                "ferry.opensearch-to-s3.enabled", "false"))) {
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
