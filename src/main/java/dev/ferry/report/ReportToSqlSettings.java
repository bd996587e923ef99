package dev.ferry.report;

import dev.ferry.cluster.Leadership;

import dev.ferry.config.SettingsValidator;
import dev.ferry.sqlload.ColumnMapping;

import java.net.URI;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The {@code ferry.report-to-sql.*} settings, parsed once, and the rules that check them before Camel starts.
 * Parameter syntax: {@code Name=value} pairs separated by {@code ;}; a multi-value parameter lists its values with
 * {@code |} and is sent once per value ({@code Plant=A|B|C} -> {@code Plant=A&Plant=B&Plant=C}, SSRS's "All").
 */
public final class ReportToSqlSettings {

    public static final String PREFIX = "ferry.report-to-sql.";

    private final Function<String, String> lookup;

    public ReportToSqlSettings(Function<String, String> lookup) {
        this.lookup = lookup;
    }

    public static void addRules(SettingsValidator v) {
        v.require(PREFIX + "period-ms", s -> Long.parseLong(s) >= 1000, "milliseconds between runs (>= 1000), e.g. 1800000 for 30 minutes");
        v.require(PREFIX + "initial-delay-ms", s -> Long.parseLong(s) >= Leadership.MIN_FIRST_TICK_DELAY_MS,
                "milliseconds before the first run (>= " + Leadership.MIN_FIRST_TICK_DELAY_MS + "; sooner, Camel's timer may skip"
                + " the first run of a replica that has just become the leader)");
        v.require(PREFIX + "base-url", ReportToSqlSettings::isHttpUrl, "the report server's URL, e.g. https://reports.example.com/ReportServer");
        v.require(PREFIX + "report-path", s -> s.startsWith("/"), "the report's path, e.g. /Manufacturing/Tracking");
        v.optional(PREFIX + "parameters", s -> parameters(s) != null, "Name=value pairs separated by ';', several values joined by '|', e.g. Plant=A|B|C");
        v.optional(PREFIX + "device-info", s -> parameters(s).keySet().stream().allMatch(k -> k.startsWith("rc:")),
                "rc: settings separated by ';', e.g. rc:FieldDelimiter=,");
        v.require(PREFIX + "window.from-parameter", s -> !s.isBlank(), "the report parameter taking the window start, e.g. From");
        v.require(PREFIX + "window.to-parameter", s -> !s.isBlank(), "the report parameter taking the window end, e.g. To");
        v.require(PREFIX + "window.format", s -> java.time.format.DateTimeFormatter.ofPattern(s) != null, "a DateTimeFormatter pattern, e.g. yyyy-MM-dd'T'HH:mm:ss");
        v.require(PREFIX + "window-hours", s -> Integer.parseInt(s) >= 1, "whole hours per window (>= 1)");
        v.require(PREFIX + "overlap-hours", s -> Integer.parseInt(s) >= 0, "whole hours each window re-reads before the watermark (>= 0)");
        v.require(PREFIX + "max-catch-up-windows", s -> Integer.parseInt(s) >= 1, "windows loaded per trigger at most (>= 1)");
        v.require(PREFIX + "start", ReportToSqlSettings::isWholeHour, "the first window's start, a whole hour such as 2026-01-01T00:00");
        v.optional(PREFIX + "until", ReportToSqlSettings::isWholeHour, "empty, or a whole hour after which no window is planned");
        v.require(PREFIX + "time-zone", s -> ZoneId.of(s) != null, "the report's time zone, e.g. UTC or Europe/Berlin");
        v.require(PREFIX + "auth-method", s -> List.of("ntlm", "basic", "none").contains(s.toLowerCase(Locale.ROOT)), "ntlm, basic or none");
        List<String> withCredentials = List.of("ntlm", "basic");
        v.requireWhen(PREFIX + "user", PREFIX + "auth-method", withCredentials, s -> !s.isBlank(), "the report server's user, e.g. svc_ferry");
        v.requireWhen(PREFIX + "password", PREFIX + "auth-method", withCredentials, s -> !s.isEmpty(),
                "the user's password (best from the environment variable FERRY_REPORT_TO_SQL_PASSWORD)");
        v.optional(PREFIX + "truststore", s -> !s.isBlank(), "a trust store file for TLS");
        v.require(PREFIX + "connect-timeout-ms", s -> Long.parseLong(s) >= 1, "milliseconds (>= 1)");
        v.require(PREFIX + "read-timeout-ms", s -> Long.parseLong(s) >= 1000, "milliseconds (>= 1000); a render takes minutes");
        v.require(PREFIX + "max-render-ms", s -> Long.parseLong(s) >= 0,
                "milliseconds a render may take on the report server (>= 0), e.g. 1800000, SSRS's default execution timeout");
        v.require(PREFIX + "retry-after-max-ms", s -> Long.parseLong(s) >= 0, "milliseconds (>= 0): the longest Retry-After honoured");
        v.require(PREFIX + "min-request-interval-ms", s -> Long.parseLong(s) >= 0, "milliseconds between two requests to the report server (>= 0)");
        v.require(PREFIX + "circuit-breaker.minimum-calls", s -> Integer.parseInt(s) >= 1, "a whole number >= 1");
        v.require(PREFIX + "circuit-breaker.open-seconds", s -> Integer.parseInt(s) >= 1, "seconds (>= 1)");
        v.require(PREFIX + "batch-size", s -> Integer.parseInt(s) >= 1 && Integer.parseInt(s) <= 10_000, "rows per batch, 1-10000");
        v.require(PREFIX + "writers", s -> Integer.parseInt(s) >= 1, "parallel batch writers (>= 1, at most ferry.db.pool-size)");
        v.require(PREFIX + "columns", s -> ColumnMapping.parse(s) != null, "ReportColumn = table_column : type [: required] entries separated by ';'");
        v.optional(PREFIX + "key-columns", s -> !s.isBlank(), "report columns whose values identify a row, separated by ','");
        v.require(PREFIX + "target-table", ReportToSqlSettings::isIdentifier, "a table name (letters, digits, _; optionally schema.table)");
        v.require(PREFIX + "rejects-table", ReportToSqlSettings::isIdentifier, "a table name");
        v.require(PREFIX + "run-table", ReportToSqlSettings::isIdentifier, "a table name");
        v.require(PREFIX + "migrations", s -> !s.isBlank(), "Flyway locations; {vendor} becomes sqlserver, postgresql or h2");
    }

    // ---------------------------------------------------------------- values

    public String get(String key) {
        String v = lookup.apply(PREFIX + key);
        return v == null ? null : v.trim();
    }

    private String optional(String key) {
        String v = get(key);
        return v == null || v.isEmpty() ? null : v;
    }

    public String baseUrl() { return get("base-url"); }
    public String reportPath() { return get("report-path"); }
    public Map<String, List<String>> parameters() { return parameters(optional("parameters")); }
    public Map<String, List<String>> deviceInfo() { return parameters(optional("device-info")); }
    public String fromParameter() { return get("window.from-parameter"); }
    public String toParameter() { return get("window.to-parameter"); }
    public String windowFormat() { return get("window.format"); }
    public int windowHours() { return Integer.parseInt(get("window-hours")); }
    public int overlapHours() { return Integer.parseInt(get("overlap-hours")); }
    public int maxCatchUpWindows() { return Integer.parseInt(get("max-catch-up-windows")); }
    public LocalDateTime start() { return LocalDateTime.parse(get("start")); }
    public LocalDateTime until() { String u = optional("until"); return u == null ? null : LocalDateTime.parse(u); }
    public ZoneId timeZone() { return ZoneId.of(get("time-zone")); }
    public String authMethod() { return get("auth-method").toLowerCase(Locale.ROOT); }
    public String user() { return optional("user"); }
    /** Never logged; only handed to the HTTP client's credentials. */
    public String password() { return optional("password"); }
    public String domain() { return optional("domain"); }
    public String truststore() { return optional("truststore"); }
    public String truststorePassword() { return optional("truststore-password"); }
    public long minRequestIntervalMs() { return Long.parseLong(get("min-request-interval-ms")); }
    public long readTimeoutMs() { return Long.parseLong(get("read-timeout-ms")); }
    public long maxRenderMs() { return Long.parseLong(get("max-render-ms")); }
    public long retryAfterMaxMs() { return Long.parseLong(get("retry-after-max-ms")); }
    public int batchSize() { return Integer.parseInt(get("batch-size")); }
    public int writers() { return Integer.parseInt(get("writers")); }
    public ColumnMapping columns() { return ColumnMapping.parse(get("columns")); }
    public List<String> keyColumns() {
        String k = optional("key-columns");
        return k == null ? List.of() : Arrays.stream(k.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
    public String targetTable() { return get("target-table"); }
    public String rejectsTable() { return get("rejects-table"); }
    public String runTable() { return get("run-table"); }
    public String migrations() { return get("migrations"); }
    public java.nio.file.Path spoolDirectory() {
        String d = optional("spool-dir");
        return java.nio.file.Path.of(d == null ? System.getProperty("java.io.tmpdir") : d);
    }

    /** The watermark's key: the report and its parameters (another plant list is another series of windows). */
    public String reportKey() {
        String key = reportPath() + (optional("parameters") == null ? "" : "?" + optional("parameters").replace(" ", ""));
        return key.length() <= 400 ? key : key.substring(0, 400);
    }

    // ---------------------------------------------------------------- parsing

    static Map<String, List<String>> parameters(String text) {
        Map<String, List<String>> result = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return result;
        }
        for (String pair : text.split(";")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + pair.trim() + "' is not Name=value");
            }
            List<String> values = new ArrayList<>();
            for (String v : pair.substring(eq + 1).split("\\|", -1)) {
                values.add(v.trim());
            }
            result.put(pair.substring(0, eq).trim(), values);
        }
        return result;
    }

    static boolean isHttpUrl(String s) {
        URI uri = URI.create(s);
        return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null && uri.getQuery() == null;
    }

    static boolean isWholeHour(String s) {
        LocalDateTime t = LocalDateTime.parse(s);
        return t.getMinute() == 0 && t.getSecond() == 0 && t.getNano() == 0;
    }

    static boolean isIdentifier(String s) {
        return s.matches("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");
    }
}
