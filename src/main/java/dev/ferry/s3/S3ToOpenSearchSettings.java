package dev.ferry.s3;

import dev.ferry.config.SettingsValidator;

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
        v.require(PREFIX + "retry-initial-delay-ms", s -> between(s, 1, 600_000), "milliseconds, 1 to 600000");
        v.require(PREFIX + "retry-max-delay-ms", s -> between(s, 1, 3_600_000), "milliseconds, 1 to 3600000");
        v.require(PREFIX + "request-timeout-ms", s -> between(s, 1000, 3_600_000), "milliseconds, 1000 to 3600000");
        v.require(PREFIX + "done-action", DONE_ACTIONS::contains, "move, delete or tag");
        v.optional(PREFIX + "processed-prefix", s -> !s.startsWith("/"), "a key prefix without a leading slash, e.g. processed/");
        v.require(PREFIX + "dead-letter-bucket", S3ToOpenSearchSettings::isBucket, "an S3 bucket name (3-63 of a-z 0-9 . -)");
        v.require(PREFIX + "poll-delay-ms", s -> between(s, 100, 86_400_000), "milliseconds, 100 to 86400000");
        v.require(PREFIX + "progress-every-seconds", s -> between(s, 1, 86_400), "seconds, 1 to 86400");
    }

    /**
     * Rules across settings, checked when the pipeline's beans are created (the validator checks one key at a time):
     * a processed prefix overlapping the source prefix would be read again forever; a dead-letter bucket equal to the
     * source bucket would feed dead letters back in as input.
     *
     * @throws IllegalArgumentException naming the settings
     */
    public static void crossCheck(String bucket, String prefix, String doneAction, String processedPrefix,
                                  String deadLetterBucket) {
        prefix = orEmpty(prefix);
        String processed = orEmpty(processedPrefix);
        if ("move".equalsIgnoreCase(orEmpty(doneAction).trim())) {
            if (processed.isEmpty()) {
                throw new IllegalArgumentException(PREFIX + "processed-prefix must be set when " + PREFIX + "done-action is move");
            }
            if (processed.startsWith(prefix) || prefix.startsWith(processed)) {
                throw new IllegalArgumentException(PREFIX + "processed-prefix '" + processed + "' must not overlap "
                        + PREFIX + "prefix '" + prefix + "' (processed objects would be read again)");
            }
        }
        if (orEmpty(bucket).equals(deadLetterBucket)) {
            throw new IllegalArgumentException(PREFIX + "dead-letter-bucket must differ from " + PREFIX
                    + "bucket (dead letters would be read as input)");
        }
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
