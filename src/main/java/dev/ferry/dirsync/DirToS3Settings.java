package dev.ferry.dirsync;

import dev.ferry.config.SettingsValidator;
import org.apache.camel.spi.PropertiesComponent;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code ferry.dir-to-s3.*} settings (documented in application.properties) and their validation rules, checked
 * at start-up when the pipeline is enabled.
 */
public record DirToS3Settings(Path sourceDir, List<String> include, List<String> exclude, String bucket, String prefix,
                              boolean delete, int maxDelete, int deleteBatch, boolean dryRun, boolean oneShot, int parallelUploads,
                              long multipartThreshold, long multipartPartBytes, Path stateDir, int watchMaxFiles,
                              long watchMaxWaitMs) {

    public static final String PREFIX = "ferry.dir-to-s3.";
    static final long MIB = 1024L * 1024;

    public static void addRules(SettingsValidator v) {
        v.require(PREFIX + "source-dir", s -> !s.isBlank(), "the local directory to mirror, e.g. /srv/site");
        v.optional(PREFIX + "include", DirToS3Settings::isGlobList, "comma-separated globs, e.g. *.html,assets/**");
        v.optional(PREFIX + "exclude", DirToS3Settings::isGlobList, "comma-separated globs, e.g. *.tmp,.git/**");
        v.require(PREFIX + "bucket", s -> s.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
                "an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)");
        v.optional(PREFIX + "prefix", s -> !s.startsWith("/"), "empty (the bucket root) or a key prefix without a leading /");
        v.require(PREFIX + "delete", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "max-delete", s -> between(s, 0, Integer.MAX_VALUE), "a whole number >= 0");
        v.require(PREFIX + "delete-batch", s -> between(s, 1, 1000),
                "a whole number from 1 to 1000 (S3's most keys in one DeleteObjects request)");
        v.require(PREFIX + "dry-run", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "one-shot", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "schedule", s -> s.trim().split("\\s+").length >= 6,
                "a Quartz cron expression with seconds, e.g. 0 */15 * * * ? (every 15 minutes)");
        v.require(PREFIX + "parallel-uploads", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "multipart-threshold", s -> between(s, 5 * MIB, 5L * 1024 * MIB),
                "a number of bytes from 5 MiB (5242880) to 5 GiB (S3's largest single put)");
        v.require(PREFIX + "multipart-part-bytes", s -> between(s, 5 * MIB, 5L * 1024 * MIB),
                "a number of bytes from 5 MiB (5242880) to 5 GiB (S3's limits for a multipart piece)");
        v.require(PREFIX + "state-dir", s -> !s.isBlank(), "a local directory for the sync state");
        v.require(PREFIX + "progress-every-seconds", s -> between(s, 1, 86_400), "a whole number of seconds >= 1");
        v.require(PREFIX + "watch", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "watch-poll-ms", s -> between(s, 100, 3_600_000), "milliseconds from 100 to 3600000");
        v.require(PREFIX + "watch-quiet-ms", s -> between(s, 0, 3_600_000), "milliseconds from 0 to 3600000");
        v.require(PREFIX + "watch-max-wait-ms", s -> between(s, 1_000, 86_400_000), "milliseconds from 1000 to 86400000");
        v.require(PREFIX + "watch-max-files", s -> between(s, 1, 10_000_000), "a whole number from 1 to 10000000");
    }

    private static boolean isGlobList(String s) {
        try {
            for (String glob : globs(s)) {
                java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + glob);
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    static List<String> globs(String s) {
        return s == null ? List.of() : Arrays.stream(s.split(",")).map(String::trim).filter(g -> !g.isEmpty()).toList();
    }

    private static boolean between(String s, long min, long max) {
        long v = Long.parseLong(s.trim());
        return v >= min && v <= max;
    }

    public static DirToS3Settings from(PropertiesComponent pc) {
        String prefix = optional(pc, "prefix");
        prefix = prefix == null ? "" : prefix.endsWith("/") ? prefix : prefix + "/";
        return new DirToS3Settings(Path.of(get(pc, "source-dir")), globs(optional(pc, "include")),
                globs(optional(pc, "exclude")), get(pc, "bucket"), prefix, Boolean.parseBoolean(get(pc, "delete")),
                Integer.parseInt(get(pc, "max-delete")),
                Integer.parseInt(get(pc, "delete-batch")), Boolean.parseBoolean(get(pc, "dry-run")),
                Boolean.parseBoolean(get(pc, "one-shot")), Integer.parseInt(get(pc, "parallel-uploads")),
                Long.parseLong(get(pc, "multipart-threshold")), Long.parseLong(get(pc, "multipart-part-bytes")),
                Path.of(get(pc, "state-dir")), Integer.parseInt(get(pc, "watch-max-files")),
                Long.parseLong(get(pc, "watch-max-wait-ms")));
    }

    private static String get(PropertiesComponent pc, String key) {
        return pc.resolveProperty(PREFIX + key).map(String::trim)
                .orElseThrow(() -> new IllegalArgumentException("missing setting " + PREFIX + key));
    }

    private static String optional(PropertiesComponent pc, String key) {
        return pc.resolveProperty(PREFIX + key).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
    }
}
