package dev.ferry.s3;

import dev.ferry.config.SettingsValidator;

import java.util.List;
import java.util.Set;

/** Validation rules for {@code ferry.s3-to-opensearch.*}, checked at start-up when the pipeline is enabled. */
public final class S3ToOpenSearchSettings {

    public static final String PREFIX = "ferry.s3-to-opensearch.";
    private static final Set<String> DONE_ACTIONS = Set.of("move", "delete", "tag");

    private S3ToOpenSearchSettings() {
    }

    public static void addRules(SettingsValidator v) {
        v.require(PREFIX + "bucket", S3ToOpenSearchSettings::isBucket, "an S3 bucket name (3-63 of a-z 0-9 . -)");
        v.optional(PREFIX + "prefix", s -> !s.startsWith("/"), "a key prefix without a leading slash, e.g. incoming/");
        v.optional(PREFIX + "key-suffixes", s -> s.matches("[^,\\s]+(\\s*,\\s*[^,\\s]+)*"),
                "comma-separated key endings such as .ndjson,.jsonl,.gz (empty: every key)");
        v.require(PREFIX + "index", S3ToOpenSearchSettings::isIndexName,
                "an OpenSearch index name (lower case, no spaces or \\ / * ? \" < > | , #, not starting with _ - +)");
        v.require(PREFIX + "index-from-line", s -> s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"), "true or false");
        v.optional(PREFIX + "id-field", s -> !s.isBlank() && !s.contains(" "), "a top-level field name, or empty");
        v.require(PREFIX + "bulk-max-docs", s -> between(s, 1, 100_000), "a whole number from 1 to 100000");
        v.require(PREFIX + "bulk-max-bytes", s -> between(s, 1024, 100L * 1024 * 1024), "bytes, from 1024 to 104857600 (100 MB)");
        v.require(PREFIX + "bulk-in-flight", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "max-line-bytes", s -> between(s, 1024, 512L * 1024 * 1024), "bytes, from 1024 to 536870912");
        v.require(PREFIX + "max-item-retries", s -> between(s, 0, 100), "a whole number from 0 to 100");
        v.require(PREFIX + "s3-resume-attempts", s -> between(s, 0, 100), "a whole number from 0 to 100");
        v.require(PREFIX + "retry-initial-delay-ms", s -> between(s, 1, 600_000), "milliseconds, 1 to 600000");
        v.require(PREFIX + "retry-max-delay-ms", s -> between(s, 1, 3_600_000), "milliseconds, 1 to 3600000");
        v.require(PREFIX + "request-timeout-ms", s -> between(s, 1000, 3_600_000), "milliseconds, 1000 to 3600000");
        v.require(PREFIX + "done-action", DONE_ACTIONS::contains, "move, delete or tag");
        v.requireWhen(PREFIX + "processed-prefix", PREFIX + "done-action", List.of("move"), s -> !s.startsWith("/"),
                "a key prefix without a leading slash, e.g. processed/");
        // A processed prefix under the source prefix (or above it) would have processed objects read again forever.
        v.crossCheck(PREFIX + "processed-prefix", (processed, other) -> !"move".equalsIgnoreCase(other.apply(PREFIX + "done-action"))
                        || !overlaps(processed, orEmpty(other.apply(PREFIX + "prefix"))),
                "with done-action move, a prefix neither equal to, under nor above " + PREFIX + "prefix"
                + " (processed objects would be read again)");
        v.require(PREFIX + "dead-letter-bucket", S3ToOpenSearchSettings::isBucket, "an S3 bucket name (3-63 of a-z 0-9 . -)");
        v.crossCheck(PREFIX + "dead-letter-bucket", (deadLetters, other) -> !deadLetters.equals(other.apply(PREFIX + "bucket")),
                "a bucket other than " + PREFIX + "bucket (dead letters would be read as input)");
        v.require(PREFIX + "restore-grace-seconds", s -> between(s, 0, 604_800), "seconds, 0 to 604800 (a week)");
        v.require(PREFIX + "poll-delay-ms", s -> between(s, 100, 86_400_000), "milliseconds, 100 to 86400000");
        v.require(PREFIX + "listing", S3ToOpenSearchSettings::isBoolean, "true or false");
        v.require(PREFIX + "queue-enabled", S3ToOpenSearchSettings::isBoolean, "true or false");
        v.crossCheck(PREFIX + "queue-enabled", (queue, other) -> "true".equalsIgnoreCase(queue)
                        || "true".equalsIgnoreCase(other.apply(PREFIX + "listing")),
                "true when " + PREFIX + "listing is false (else nothing feeds the pipeline)");
        v.requireWhen(PREFIX + "queue-url", PREFIX + "queue-enabled", List.of("true"),
                s -> s.matches("https?://[^/\\s]+/[^/\\s]+/[A-Za-z0-9_-]{1,80}(\\.fifo)?"),
                "an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/ferry-inbox-events");
        v.require(PREFIX + "queue-consumers", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "queue-wait-seconds", s -> between(s, 0, 20), "seconds, 0 to 20 (SQS long polling)");
        v.require(PREFIX + "queue-visibility-seconds", s -> between(s, 10, 43_200), "seconds, 10 to 43200 (12 h)");
        v.require(PREFIX + "progress-every-seconds", s -> between(s, 1, 86_400), "seconds, 1 to 86400");
    }

    private static boolean isBoolean(String s) {
        return s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
    }

    private static boolean overlaps(String processedPrefix, String prefix) {
        return processedPrefix.startsWith(prefix) || prefix.startsWith(processedPrefix);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    static boolean isBucket(String s) {
        return s.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    }

    static boolean isIndexName(String s) {
        return !s.isEmpty() && s.length() <= 255 && s.equals(s.toLowerCase(java.util.Locale.ROOT))
                && !s.matches(".*[ \\\\/*?\"<>|,#:].*") && !s.matches("^[_\\-+].*") && !s.equals(".") && !s.equals("..");
    }

    private static boolean between(String s, long min, long max) {
        long v = Long.parseLong(s);
        return v >= min && v <= max;
    }
}
