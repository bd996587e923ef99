package dev.ferry.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Checks Ferry's own settings before Camel starts, so that a typo stops start-up with a message naming the
 * setting, where its value came from and what was expected, instead of a stack trace from deep inside a route.
 * Secret values are never echoed.
 */
public final class SettingsValidator {

    /**
     * A setting's rule; with {@code whenKey}, it is required only while that setting has one of {@code whenValues}.
     * {@code valid} gets the value and a lookup of the other settings (most rules look at their own value only).
     */
    private record Rule(String key, boolean required, BiPredicate<String, Function<String, String>> valid,
                        String expected, String whenKey, List<String> whenValues) {
        Rule(String key, boolean required, Predicate<String> valid, String expected) {
            this(key, required, (value, others) -> valid.test(value), expected, null, List.of());
        }

        boolean requiredIn(FerryConfig config) {
            if (!required || whenKey == null) {
                return required;
            }
            String other = config.get(whenKey);
            return other != null && whenValues.contains(other.trim().toLowerCase(Locale.ROOT));
        }
    }

    private final List<Rule> rules = new ArrayList<>();

    /**
     * The rules for the settings every Ferry process reads. Each enabled pipeline adds its own to these
     * ({@code dev.ferry.Ferry#settingsRules}): this package knows no pipeline.
     */
    public static SettingsValidator commonRules(FerryConfig config) {
        SettingsValidator v = new SettingsValidator();
        v.require("ferry.routes-dir", s -> !s.isBlank(), "a directory holding the YAML routes");
        v.require("ferry.management.port", SettingsValidator::isPort, "a TCP port (0-65535; 0 picks a free one)");
        v.require("ferry.management.host", s -> !s.isBlank() && !s.contains(" "), "a bind address such as 0.0.0.0 or 127.0.0.1");
        v.crossCheck("ferry.management.user", (user, others) -> others.apply("ferry.management.password") != null
                && !others.apply("ferry.management.password").isEmpty(), "set together with ferry.management.password");
        v.crossCheck("ferry.management.password", (password, others) -> others.apply("ferry.management.user") != null
                && !others.apply("ferry.management.user").isEmpty(), "set together with ferry.management.user");
        v.require("ferry.retry.max-attempts", s -> isInt(s, 0), "a whole number >= 0");
        v.require("ferry.retry.initial-delay-ms", s -> isInt(s, 1), "a whole number of milliseconds >= 1");
        v.require("ferry.retry.max-delay-ms", s -> isInt(s, 1), "a whole number of milliseconds >= 1");
        v.require("ferry.retry.multiplier", s -> isDouble(s, 1.0), "a number >= 1.0");
        v.optional("ferry.s3.endpoint", SettingsValidator::isHttpUrl, "empty for AWS, or an http(s) URL such as http://127.0.0.1:9000");
        v.require("ferry.s3.region", s -> s.matches("[a-z0-9-]+"), "an AWS region such as us-east-1");
        v.require("ferry.s3.path-style", SettingsValidator::isBoolean, "true or false");
        v.require("ferry.opensearch.hosts", SettingsValidator::isHostList, "comma-separated host:port pairs, e.g. localhost:9200");
        v.require("ferry.opensearch.tls", SettingsValidator::isBoolean, "true or false");
        v.require("ferry.db.url", s -> s.startsWith("jdbc:"), "a JDBC URL (jdbc:sqlserver://..., jdbc:postgresql://..., jdbc:h2:...)");
        v.require("ferry.db.pool-size", s -> isInt(s, 1), "a whole number >= 1");
        v.require("ferry.cluster.service", s -> s.equals("none") || s.equals("file") || s.equals("kubernetes"),
                "none (one process), file (replicas sharing a lock directory) or kubernetes (replicas electing with Leases)");
        v.crossCheck("ferry.cluster.service", (service, others) -> !service.equals("file")
                || others.apply("ferry.cluster.file.root") != null && !others.apply("ferry.cluster.file.root").isBlank(),
                "file needs ferry.cluster.file.root, a directory all replicas share");
        v.require("ferry.cluster.file.interval-ms", s -> isInt(s, 100), "a whole number of milliseconds >= 100");
        v.require("ferry.cluster.file.stale-intervals", s -> isInt(s, 1), "a whole number >= 1");
        v.require("ferry.cluster.kubernetes.lease-name", s -> s.matches("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?"),
                "a Kubernetes name prefix: lower-case letters, digits and dashes, at most 32");
        v.optional("ferry.cluster.kubernetes.master-url", SettingsValidator::isHttpUrl,
                "empty inside a pod (its service account), or the API server's https:// URL");
        v.require("ferry.cluster.kubernetes.pod-labels", s -> s.matches("\\s*[\\w./-]+=[\\w.-]+\\s*(,\\s*[\\w./-]+=[\\w.-]+\\s*)*"),
                "comma-separated label=value pairs that the replicas' pods carry, e.g. app.kubernetes.io/name=ferry");
        v.require("ferry.cluster.kubernetes.lease-duration-ms", s -> isInt(s, 1000), "a whole number of milliseconds >= 1000");
        v.require("ferry.cluster.kubernetes.renew-deadline-ms", s -> isInt(s, 500), "a whole number of milliseconds >= 500");
        v.require("ferry.cluster.kubernetes.retry-period-ms", s -> isInt(s, 100), "a whole number of milliseconds >= 100");
        v.crossCheck("ferry.cluster.kubernetes.renew-deadline-ms", (renew, others) -> {
            long lease = Long.parseLong(others.apply("ferry.cluster.kubernetes.lease-duration-ms").trim());
            long retry = Long.parseLong(others.apply("ferry.cluster.kubernetes.retry-period-ms").trim());
            long r = Long.parseLong(renew.trim());
            return retry < r && r < lease;
        }, "retry-period-ms < renew-deadline-ms < lease-duration-ms (a leader must renew before its lease runs out)");
        addCamelRules(v);

        for (String key : config.snapshot().keySet()) {
            if (key.startsWith("ferry.") && key.endsWith(".enabled")) {
                v.require(key, SettingsValidator::isBoolean, "true or false");
            }
        }
        return v;
    }

    /**
     * The camel.* keys Ferry sets or documents. Camel binds them after start-up began and fails on a bad one with a
     * stack trace (and a shutdown hook that claims SIGTERM): checked here with the others instead. A value that is a
     * placeholder ({{ferry...}}) is checked through the setting it names.
     */
    private static void addCamelRules(SettingsValidator v) {
        for (String key : List.of("camel.main.shutdown-timeout")) {
            v.optional(key, camel(s -> isInt(s, 1)), "a whole number of seconds >= 1");
        }
        for (String key : List.of("camel.main.duration-max-seconds", "camel.main.duration-max-idle-seconds",
                "camel.main.duration-max-messages", "camel.component.opensearch.socket-timeout",
                "camel.component.opensearch.connection-timeout")) {
            v.optional(key, camel(s -> isInt(s, 0)), "a whole number >= 0");
        }
        v.optional("camel.management.port", camel(SettingsValidator::isPort), "a TCP port (0-65535)");
        for (String key : List.of("camel.main.stream-caching-enabled", "camel.main.auto-configuration-log-summary", "camel.main.shutdown-suppress-logging-on-timeout",
                "camel.main.routes-reload-enabled", "camel.main.dev-console-enabled", "camel.management.enabled",
                "camel.management.health-check-enabled", "camel.management.metrics-enabled",
                "camel.management.info-enabled", "camel.management.dev-console-enabled", "camel.metrics.enabled",
                "camel.health.enabled", "camel.component.aws2-s3.autowired-enabled",
                "camel.component.opensearch.enable-ssl")) {
            v.optional(key, camel(SettingsValidator::isBoolean), "true or false");
        }
        v.optional("camel.health.exposure-level", camel(s -> List.of("oneline", "default", "full")
                .contains(s.toLowerCase(Locale.ROOT))), "oneline, default or full");
        v.optional("camel.main.startup-summary-level", camel(s -> List.of("off", "default", "classic", "oneline",
                "verbose").contains(s.toLowerCase(Locale.ROOT))), "Off, Default, Classic, Oneline or Verbose");
    }

    private static Predicate<String> camel(Predicate<String> valid) {
        return s -> s.contains("{{") || valid.test(s);
    }

    public SettingsValidator require(String key, Predicate<String> valid, String expected) {
        rules.add(new Rule(key, true, valid, expected));
        return this;
    }

    public SettingsValidator optional(String key, Predicate<String> valid, String expected) {
        rules.add(new Rule(key, false, valid, expected));
        return this;
    }

    /**
     * Required only while {@code otherKey} has one of {@code values} (compared case-insensitively), e.g. a user and a
     * password when the authentication method is ntlm or basic; otherwise checked like an optional setting.
     */
    public SettingsValidator requireWhen(String key, String otherKey, List<String> values, Predicate<String> valid,
                                         String expected) {
        List<String> lower = values.stream().map(v -> v.toLowerCase(Locale.ROOT)).toList();
        rules.add(new Rule(key, true, (value, others) -> valid.test(value), expected + " (required when " + otherKey
                + " is " + String.join(" or ", values) + ")", otherKey, lower));
        return this;
    }

    /**
     * A rule across settings, checked when {@code key} is set: {@code valid} gets its value and a lookup of the other
     * settings (trimmed, {@code null} when unset), e.g. a dead-letter bucket that must differ from the source bucket.
     */
    public SettingsValidator crossCheck(String key, BiPredicate<String, Function<String, String>> valid,
                                        String expected) {
        rules.add(new Rule(key, false, valid, expected, null, List.of()));
        return this;
    }

    /**
     * Throws one exception listing every problem found, each naming its setting and environment variable; a setting
     * is named once, for the first of its rules it breaks (a malformed value, before how it fits the others).
     */
    public void validate(FerryConfig config) {
        List<String> problems = new ArrayList<>();
        java.util.Set<String> named = new java.util.HashSet<>();
        for (Rule rule : rules) {
            if (named.contains(rule.key())) {
                continue;
            }
            String value = config.get(rule.key());
            if (value == null || value.isEmpty()) {
                if (rule.requiredIn(config)) {
                    named.add(rule.key());
                    problems.add("missing setting " + rule.key() + " (environment variable " + FerryConfig.envName(rule.key())
                            + "): expected " + rule.expected());
                }
                continue;
            }
            boolean ok;
            try {
                ok = rule.valid().test(value, config::get);
            } catch (RuntimeException e) {
                ok = false;
            }
            if (!ok) {
                named.add(rule.key());
                problems.add("invalid setting " + rule.key() + " = " + shown(rule.key(), value) + " (from "
                        + config.sourceOf(rule.key()) + "): expected " + rule.expected());
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidSettingException("Ferry cannot start, " + problems.size() + " setting(s) to fix:\n  - "
                    + String.join("\n  - ", problems));
        }
    }

    /** Secrets are never shown, not even when they are wrong. */
    public static String shown(String key, String value) {
        if (isSecretKey(key)) {
            return "<hidden>";
        }
        // Credentials embedded in a URL (scheme://user:password@host) are hidden too.
        return "'" + value.replaceAll("(?<=://)[^/@\\s]+@", "<hidden>@")
                .replaceAll("(?i)(?<=password=|pwd=)[^;&\\s]+", "<hidden>") + "'";
    }

    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("credential") || k.contains("token")
                || k.endsWith("access-key") || k.endsWith("accesskey");
    }

    public static boolean isBooleanValue(String s) {
        return isBoolean(s);
    }

    static boolean isBoolean(String s) {
        return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
    }

    static boolean isInt(String s, long min) {
        return Long.parseLong(s) >= min;
    }

    static boolean isDouble(String s, double min) {
        return Double.parseDouble(s) >= min;
    }

    static boolean isPort(String s) {
        int p = Integer.parseInt(s);
        return p >= 0 && p <= 65535;
    }

    static boolean isHttpUrl(String s) {
        URI uri = URI.create(s);
        return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
    }

    static boolean isHostList(String s) {
        for (String hostPort : s.split(",")) {
            String[] parts = hostPort.trim().split(":");
            if (parts.length != 2 || parts[0].isBlank() || !isPort(parts[1])) {
                return false;
            }
        }
        return true;
    }
}
