package dev.ferry.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Ferry's effective configuration: {@code application.properties}, with the active profile's
 * {@code %profile.key=value} lines applied on top, then environment variables, then explicit overrides
 * (tests and local mode). An environment variable is named after its key the way Camel does it:
 * upper case, dots and dashes become underscores ({@code ferry.s3.bucket} is {@code FERRY_S3_BUCKET}).
 */
public final class FerryConfig {

    public static final String PROFILE_KEY = "ferry.profile";
    public static final String DEFAULT_PROFILE = "prod";

    private final Path file;
    private final String profile;
    private final Properties fileProperties;
    private final Map<String, String> environment;
    private final Map<String, String> overrides;

    private FerryConfig(Path file, String profile, Properties fileProperties, Map<String, String> environment,
                        Map<String, String> overrides) {
        this.file = file;
        this.profile = profile;
        this.fileProperties = fileProperties;
        this.environment = environment;
        this.overrides = overrides;
    }

    /**
     * Reads the file and resolves the profile: an explicit one wins, then {@code FERRY_PROFILE},
     * then {@code ferry.profile} in the file, then {@value #DEFAULT_PROFILE}.
     */
    public static FerryConfig load(Path file, String explicitProfile, Map<String, String> environment,
                                   Map<String, String> overrides) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidSettingException("Configuration file not found: " + file.toAbsolutePath()
                    + " (point FERRY_CONFIG or --config at Ferry's application.properties)");
        }
        Properties raw = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            raw.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new InvalidSettingException("Cannot read configuration file " + file.toAbsolutePath() + ": " + e.getMessage());
        }
        String profile = firstNonBlank(explicitProfile, overrides.get(PROFILE_KEY), environment.get(envName(PROFILE_KEY)),
                raw.getProperty(PROFILE_KEY), DEFAULT_PROFILE).trim();
        java.util.SortedSet<String> known = new java.util.TreeSet<>(java.util.List.of(DEFAULT_PROFILE));
        for (String key : raw.stringPropertyNames()) {
            if (key.startsWith("%") && key.indexOf('.') > 1) {
                known.add(key.substring(1, key.indexOf('.')));
            }
        }
        if (!known.contains(profile)) {
            String source = explicitProfile != null && !explicitProfile.isBlank() ? "--profile"
                    : overrides.get(PROFILE_KEY) != null ? "override"
                    : environment.get(envName(PROFILE_KEY)) != null ? "environment variable " + envName(PROFILE_KEY)
                    : file.getFileName().toString();
            throw new InvalidSettingException("Ferry cannot start, 1 setting(s) to fix:\n  - invalid setting "
                    + PROFILE_KEY + " = '" + profile + "' (from " + source + "): expected one of the profiles of "
                    + file.getFileName() + ": " + String.join(", ", known));
        }
        Properties effective = new Properties();
        String prefix = "%" + profile + ".";
        for (String key : raw.stringPropertyNames()) {
            if (!key.startsWith("%")) {
                effective.setProperty(key, raw.getProperty(key));
            }
        }
        for (String key : raw.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                effective.setProperty(key.substring(prefix.length()), raw.getProperty(key));
            }
        }
        effective.setProperty(PROFILE_KEY, profile);
        return new FerryConfig(file, profile, effective, Map.copyOf(environment), Map.copyOf(overrides));
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    /** The environment variable that overrides a key. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public Path file() {
        return file;
    }

    public String profile() {
        return profile;
    }

    /** The value of a key after profile, environment and overrides; {@code null} when unset. */
    public String get(String key) {
        String value = overrides.get(key);
        if (value == null) {
            value = environment.get(envName(key));
        }
        if (value == null) {
            value = fileProperties.getProperty(key);
        }
        return value == null ? null : value.trim();
    }

    /** Where a key's value comes from, for error messages. */
    public String sourceOf(String key) {
        if (overrides.containsKey(key)) {
            return "override";
        }
        if (environment.containsKey(envName(key))) {
            return "environment variable " + envName(key);
        }
        if (fileProperties.containsKey(key)) {
            return file.getFileName() + (profile.equals(DEFAULT_PROFILE) ? "" : " (profile " + profile + ")");
        }
        return "not set";
    }

    /** The file's properties with the profile applied; Camel resolves environment variables itself. */
    public Properties fileProperties() {
        Properties copy = new Properties();
        copy.putAll(fileProperties);
        return copy;
    }

    public Map<String, String> overrides() {
        return overrides;
    }

    /** The environment the configuration was read with (its secret-named variables are masked in logs too). */
    public Map<String, String> environment() {
        return environment;
    }

    /** One line per ferry.* and camel.* setting, with its value (secrets hidden) and where it came from. */
    public java.util.List<String> summary() {
        java.util.List<String> lines = new java.util.ArrayList<>();
        snapshot().forEach((key, value) -> {
            if (key.startsWith("ferry.") || key.startsWith("camel.")) {
                lines.add(key + " = " + (value == null || value.isEmpty() ? "" : SettingsValidator.shown(key, value))
                        + " (" + sourceOf(key) + ")");
            }
        });
        return lines;
    }

    /** All keys known from the file and overrides, sorted. */
    public Map<String, String> snapshot() {
        Map<String, String> all = new TreeMap<>();
        for (String key : fileProperties.stringPropertyNames()) {
            all.put(key, get(key));
        }
        overrides.forEach(all::put);
        return all;
    }
}
