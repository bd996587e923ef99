package dev.ferry.observability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.ferry.accounting.PipelineMetrics;
import dev.ferry.accounting.Runs;
import dev.ferry.local.LocalMode;
import dev.ferry.local.LocalPrometheus;
import dev.ferry.local.PipelineDemo;
import dev.ferry.testing.FerryUnderTest;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * observability/: the alert rules pass promtool's check and their unit tests; the Grafana dashboard is importable
 * and provisionable; and, with a real Prometheus scraping Ferry in local mode, every metric name the board and the
 * rules use is one Ferry exports and every panel query returns data once the demo has run.
 */
class ObservabilityBoardTest {

    private static final Path DIR = FerryUnderTest.PROJECT_DIR.resolve("observability");
    private static final Path RULES = FerryUnderTest.PROJECT_DIR.resolve(LocalPrometheus.RULES);
    private static final Path RULE_TESTS = DIR.resolve("prometheus/ferry-alerts.test.yml");
    private static final Path DASHBOARD = DIR.resolve("grafana/ferry-dashboard.json");
    private static final String NO_PROMETHEUS = "no prometheus/promtool binary on the PATH (apt-get install prometheus)";

    /**
     * Metrics a rule may be written for before Ferry exports them (put such rules in a group of their own). The live
     * test checks that each is still missing: once Ferry exports one, it fails until the name leaves this list.
     */
    private static final Set<String> NOT_EXPORTED_YET = Set.of();
    /** Series Prometheus makes itself, not Ferry. */
    private static final Set<String> PROMETHEUS_OWN = Set.of("up");

    private final ObjectMapper json = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void alertRulesPassPromtoolCheckAndTheirUnitTests() throws Exception {
        assumeTrue(LocalPrometheus.promtool().isPresent(), NO_PROMETHEUS);
        String check = run(LocalPrometheus.promtool().get().toString(), "check", "rules", RULES.toString());
        assertThat(check).contains("SUCCESS: 8 rules found");
        String unit = run(LocalPrometheus.promtool().get().toString(), "test", "rules", RULE_TESTS.toString());
        assertThat(unit).contains("SUCCESS");
    }

    @Test
    void everyAlertHasAUnitTestWhereItFiresAndOneWhereItDoesNot() throws IOException {
        Set<String> alerts = new TreeSet<>();
        for (JsonNode group : yaml(RULES).get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                if (rule.has("alert")) {
                    alerts.add(rule.get("alert").asText());
                    assertThat(rule.path("annotations").path("summary").asText()).as(rule.get("alert").asText())
                            .contains("{{ $labels.instance }}");
                }
            }
        }
        assertThat(alerts).contains("FerryRunFailed", "FerryRecordsDeadLettered", "FerryScheduledPipelineSilent",
                "FerryReportCircuitBreakerOpen", "FerryRunUnbalanced", "FerryReplicaNotReady", "FerryReplicaDown");
        Set<String> fires = new TreeSet<>();
        Set<String> quiet = new TreeSet<>();
        for (JsonNode test : yaml(RULE_TESTS).get("tests")) {
            for (JsonNode t : test.path("alert_rule_test")) {
                (t.get("exp_alerts").isEmpty() ? quiet : fires).add(t.get("alertname").asText());
            }
        }
        assertThat(fires).as("alerts shown firing").isEqualTo(alerts);
        assertThat(quiet).as("alerts shown not firing").isEqualTo(alerts);
    }

    @Test
    void dashboardIsImportableWithADatasourceInputAndProvisionable() throws IOException {
        JsonNode board = json.readTree(DASHBOARD.toFile());
        assertThat(board.path("__inputs").get(0).path("name").asText()).isEqualTo("DS_PROMETHEUS");
        assertThat(board.path("__inputs").get(0).path("pluginId").asText()).isEqualTo("prometheus");
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        board.path("templating").path("list").forEach(v -> variables.put(v.get("name").asText(), v));
        // provisioned, ${DS_PROMETHEUS} is resolved by this variable; imported, by the input
        assertThat(variables.get("DS_PROMETHEUS").path("type").asText()).isEqualTo("datasource");
        assertThat(variables.get("instance").path("definition").asText()).contains("instance");
        assertThat(variables.get("instance").path("multi").asBoolean()).isTrue();
        List<JsonNode> panels = new ArrayList<>();
        board.path("panels").forEach(panels::add);
        assertThat(panels.get(0).path("repeat").asText()).as("one row per pipeline").isEqualTo("pipeline");
        for (JsonNode panel : panels) {
            if (!panel.path("type").asText().equals("row")) {
                assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText())
                        .isEqualTo("${DS_PROMETHEUS}");
                assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
                panel.path("targets").forEach(t -> assertThat(t.path("datasource").path("uid").asText())
                        .isEqualTo("${DS_PROMETHEUS}"));
            }
        }
        JsonNode provider = yaml(DIR.resolve("grafana/provisioning/dashboards/ferry.yaml")).path("providers").get(0);
        assertThat(provider.path("type").asText()).isEqualTo("file");
        assertThat(provider.path("options").path("path").asText()).isNotEmpty();
        JsonNode datasource = yaml(DIR.resolve("grafana/provisioning/datasources/prometheus.yaml")).path("datasources").get(0);
        assertThat(datasource.path("type").asText()).isEqualTo("prometheus");
    }

    /** The gauge the silent-stop alert and the "since the last successful run" panel read, without Prometheus. */
    @Test
    void lastSuccessTimestampIsSetBySuccessfulRunsOnly() throws Exception {
        try (FerryUnderTest ferry = FerryUnderTest.start(Map.of())) {
            Runs runs = ferry.bean("runs", Runs.class);
            long before = System.currentTimeMillis() / 1000;
            runs.finish(runs.begin("report-to-sql", "window").read(3).written(3));
            runs.fail(runs.begin("s3-to-opensearch", "bucket/key").read(1), "connection refused");
            String metrics = ferry.get("metrics").body();
            Matcher success = Pattern.compile("ferry_last_success_timestamp_seconds\\{pipeline=\"report-to-sql\"} (\\S+)")
                    .matcher(metrics);
            assertThat(success.find()).as(metrics).isTrue();
            assertThat(Double.parseDouble(success.group(1))).isBetween((double) before, before + 60.0);
            assertThat(metrics).contains("ferry_last_success_timestamp_seconds{pipeline=\"s3-to-opensearch\"} 0.0")
                    .contains("ferry_last_success_timestamp_seconds{pipeline=\"opensearch-to-s3\"} 0.0")
                    .containsPattern("process_start_time_seconds(\\{[^}]*})? \\d");
        }
    }

    @Test
    void metricNamesAreFoundInPromQl() {
        assertThat(metricNames("sum by (outcome) (rate(label_replace({__name__=~\"ferry_records_(a|b)_total\", "
                + "pipeline=\"$pipeline\"}, \"outcome\", \"$1\", \"__name__\", \"x\")[$__rate_interval:]))"))
                .containsExactly("~ferry_records_(a|b)_total");
        assertThat(metricNames("time() - max(x_seconds{a=\"b\"} > 0) > on (pipeline) group_left 3 * ferry:period "
                + "and on (instance) up == bool 1 or vector(1)"))
                .containsExactly("x_seconds", "ferry:period", "up");
    }

    /**
     * The README's local mode with the real Prometheus it starts: after the demo, every name in the board and the
     * rules is in Prometheus (a misspelt metric fails here), every panel answers with data, and the dead letters
     * the demo makes on purpose fire FerryRecordsDeadLettered.
     */
    @Test
    void everyPanelQueryReturnsDataAfterTheLocalModeDemo() throws Exception {
        assumeTrue(LocalPrometheus.binary().isPresent(), NO_PROMETHEUS);
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LocalMode local = new LocalMode(new PrintStream(captured, true, StandardCharsets.UTF_8), Duration.ofMinutes(5));
        long startSeconds = System.currentTimeMillis() / 1000;
        try (LocalMode.Session session = local.start();
             LocalPrometheus prometheus = LocalPrometheus.running().orElseThrow(() -> new AssertionError(
                     "local mode started no Prometheus:\n" + captured.toString(StandardCharsets.UTF_8)))) {
            assertThat(captured.toString(StandardCharsets.UTF_8)).contains(prometheus.url() + "/alerts");
            URI api = prometheus.url();

            assertThat(local.awaitAndSummarize(session).ok()).as(captured.toString(StandardCharsets.UTF_8)).isTrue();
            Runs runs = session.runs();
            List<String> pipelines = session.demos().stream().map(PipelineDemo::pipeline).toList();
            // Prometheus has scraped Ferry after the last run: its counts equal Ferry's own
            for (String pipeline : pipelines) {
                double expected = runs.metrics().value(pipeline, PipelineMetrics.Count.RUNS_SUCCEEDED);
                awaitTrue(Duration.ofSeconds(30), "Prometheus sees " + expected + " runs of " + pipeline, () ->
                        values(instant(api, "ferry_runs_succeeded_total{pipeline=\"" + pipeline + "\"}")).contains(expected));
            }

            Set<String> names = new TreeSet<>();
            get(api, "/api/v1/label/__name__/values").path("data").forEach(n -> names.add(n.asText()));

            // 1. every metric name in the board and in the rules is exported (or, for the rules, knowingly not yet)
            JsonNode board = json.readTree(DASHBOARD.toFile());
            Map<String, String> queries = panelQueries(board);
            board.path("templating").path("list").forEach(v -> {
                Matcher labelValues = LABEL_VALUES.matcher(v.path("definition").asText());
                if (v.path("type").asText().equals("query") && labelValues.matches()) {
                    queries.put("variable " + v.get("name").asText(), labelValues.group(1));
                }
            });
            for (Map.Entry<String, String> q : queries.entrySet()) {
                for (String name : metricNames(q.getValue())) {
                    assertExported(names, name, q.getKey(), Set.of());
                }
            }
            for (JsonNode group : yaml(RULES).get("groups")) {
                for (JsonNode rule : group.get("rules")) {
                    String what = "rule " + rule.path(rule.has("alert") ? "alert" : "record").asText();
                    for (String name : metricNames(rule.get("expr").asText())) {
                        assertExported(names, name, what, NOT_EXPORTED_YET);
                    }
                }
            }
            for (String missing : NOT_EXPORTED_YET) {
                assertThat(names).as(missing + " is exported now: move its rule into group ferry and drop"
                        + " it from NOT_EXPORTED_YET").doesNotContain(missing);
            }

            // 2. every panel query answers with data over the demo, for every pipeline of its repeated row
            long end = System.currentTimeMillis() / 1000;
            String range = Math.max(60, end - startSeconds + 10) + "s";
            Map<String, double[]> maxima = new LinkedHashMap<>();
            for (Map.Entry<String, String> q : panelQueries(board).entrySet()) {
                if (q.getKey().startsWith("variable")) {
                    continue;
                }
                boolean perPipeline = q.getValue().contains("$pipeline");
                for (String pipeline : perPipeline ? pipelines : List.of("-")) {
                    String expr = q.getValue().replace("$__rate_interval", "10s").replace("$__range", range)
                            .replace("$instance", ".+").replace("$pipeline", pipeline);
                    JsonNode result = get(api, "/api/v1/query_range?query=" + enc(expr) + "&start=" + startSeconds
                            + "&end=" + end + "&step=2").path("data").path("result");
                    String key = q.getKey() + (perPipeline ? " [" + pipeline + "]" : "");
                    boolean dumpOnly = q.getKey().startsWith("Dump progress");
                    if (!dumpOnly || pipeline.equals("opensearch-to-s3")) {
                        assertThat(result).as(key + ": " + expr).isNotEmpty();
                    }
                    for (JsonNode series : result) {
                        String label = series.path("metric").path("outcome").asText("");
                        double max = 0;
                        for (JsonNode point : series.path("values")) {
                            max = Math.max(max, Double.parseDouble(point.get(1).asText()));
                        }
                        maxima.put(key + (label.isEmpty() ? "" : " outcome=" + label), new double[] {max});
                    }
                }
            }
            // ...and shows what the demo did: records written by every pipeline, two dead letters, heap in use
            for (String pipeline : pipelines) {
                assertThat(maxima.get("Records/s by outcome#A [" + pipeline + "] outcome=written")[0]).as(pipeline).isPositive();
                assertThat(maxima.get("Since the last successful run#A [" + pipeline + "]")[0]).as(pipeline).isPositive();
                assertThat(maxima.get("Run duration#A [" + pipeline + "]")[0]).as(pipeline).isPositive();
            }
            assertThat(maxima.get("Records/s by outcome#A [s3-to-opensearch] outcome=dead_lettered")[0]).isPositive();
            assertThat(maxima.get("Dead-lettered in the time range#A [s3-to-opensearch]")[0]).isPositive();
            assertThat(maxima.get("Failed runs in the time range#A [report-to-sql]")[0]).isZero();
            assertThat(maxima.get("Heap#A")[0]).isPositive();
            assertThat(maxima.get("Process memory and CPU#A")[0]).as("RSS").isGreaterThan(10 * 1024 * 1024);

            // 3. the rules evaluate without error against Ferry's real series, and the demo's dead letters fire
            for (JsonNode group : get(api, "/api/v1/rules").path("data").path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    assertThat(rule.path("health").asText()).as(rule.path("name").asText() + " " + rule.path("lastError"))
                            .isEqualTo("ok");
                }
            }
            awaitTrue(Duration.ofSeconds(30), "FerryRecordsDeadLettered firing for s3-to-opensearch", () ->
                    alerts(api).contains("FerryRecordsDeadLettered/s3-to-opensearch/firing"));
            assertThat(alerts(api)).noneMatch(a -> a.startsWith("FerryRunFailed") || a.startsWith("FerryScheduledPipelineSilent"));
            assertThat(values(instant(api, "ferry:schedule_period_seconds"))).containsExactlyInAnyOrder(1800.0, 86400.0);
            // the demo's services were reachable, its runs balanced, the report server answered
            // (a reachability check may time out for a moment on a loaded machine: ready again within 30 s)
            try {
                awaitTrue(Duration.ofSeconds(30), "ferry_ready is 1", () ->
                        values(instant(api, "ferry_ready")).equals(List.of(1.0)));
            } catch (AssertionError e) {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + session.managementPort() + "/observe/health")).GET().build(), HttpResponse.BodyHandlers.ofString());
                throw new AssertionError(e.getMessage() + "; /observe/health says " + health.body(), e);
            }
            assertThat(values(instant(api, "sum(ferry_runs_unbalanced_total)"))).containsExactly(0.0);
            assertThat(values(instant(api, "ferry_circuit_breaker_open{pipeline=\"report-to-sql\",name=\"report-server\"}")))
                    .containsExactly(0.0);
        }
    }

    // ------------------------------------------------------------------ PromQL metric names

    private static final Pattern NAME_MATCHER = Pattern.compile("__name__\\s*(=~|=)\\s*\"([^\"]*)\"");
    private static final Pattern GROUPING = Pattern.compile(
            "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w:])(?!\\s*\\()");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\((.+),\\s*\\w+\\)");
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring",
            "group_left", "group_right", "bool", "offset", "inf", "nan");

    /** Metric names in an expression, in order; a regex on __name__ comes as "~regex". */
    static List<String> metricNames(String promql) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = NAME_MATCHER.matcher(promql);
        while (m.find()) {
            names.add(m.group(1).equals("=~") ? "~" + m.group(2) : m.group(2));
        }
        String s = promql.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"") // strings
                .replaceAll("\\{[^}]*}", "") // label matchers
                .replaceAll("\\[[^]]*]", ""); // ranges
        s = GROUPING.matcher(s).replaceAll(" ");
        Matcher id = IDENTIFIER.matcher(s);
        while (id.find()) {
            String name = id.group(1);
            if (!KEYWORDS.contains(name.toLowerCase())) {
                names.add(name);
            }
        }
        return new ArrayList<>(names);
    }

    private static void assertExported(Set<String> exported, String name, String where, Set<String> knownMissing) {
        if (name.startsWith("~")) {
            Predicate<String> regex = Pattern.compile(name.substring(1)).asMatchPredicate();
            assertThat(exported.stream().anyMatch(regex)).as(where + ": no metric matches " + name).isTrue();
        } else if (!knownMissing.contains(name) && !PROMETHEUS_OWN.contains(name)) {
            assertThat(exported).as(where + " uses " + name + ", which Ferry does not export").contains(name);
        }
    }

    /** "panel title#refId" -> expression, for every panel target of the board. */
    private static Map<String, String> panelQueries(JsonNode board) {
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode panel : board.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put(panel.path("title").asText() + "#" + target.path("refId").asText(), target.path("expr").asText());
            }
        }
        assertThat(queries).hasSizeGreaterThan(10);
        return queries;
    }

    // ------------------------------------------------------------------ helpers

    private JsonNode instant(URI api, String expr) throws IOException, InterruptedException {
        return get(api, "/api/v1/query?query=" + enc(expr)).path("data").path("result");
    }

    private static List<Double> values(JsonNode result) {
        List<Double> values = new ArrayList<>();
        result.forEach(r -> values.add(Double.parseDouble(r.path("value").get(1).asText())));
        return values;
    }

    /** "alertname/pipeline/state" of every active alert. */
    private List<String> alerts(URI api) throws IOException, InterruptedException {
        List<String> alerts = new ArrayList<>();
        get(api, "/api/v1/alerts").path("data").path("alerts").forEach(a -> alerts.add(a.path("labels").path("alertname")
                .asText() + "/" + a.path("labels").path("pipeline").asText() + "/" + a.path("state").asText()));
        return alerts;
    }

    private JsonNode get(URI api, String pathAndQuery) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api + pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(pathAndQuery + " -> " + r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static JsonNode yaml(Path file) throws IOException {
        return new YAMLMapper().readTree(file.toFile());
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(Duration timeout, String what, Condition condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
            }
            Thread.sleep(250);
        }
    }

    /** Runs a command to completion and returns its output; fails with the output on a non-zero exit. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }
}
