package dev.ferry.dump;

import dev.ferry.config.SettingsValidator;
import org.apache.camel.spi.PropertiesComponent;

import java.nio.file.Path;

/**
 * The {@code ferry.opensearch-to-s3.*} settings (documented in application.properties) and their validation rules,
 * checked at start-up when the pipeline is enabled.
 */
public record OpenSearchToS3Settings(String index, String query, DumpDestinationUri destination, int pageSize,
                                     int slices, String sort, String keepAlive, long partMaxDocs, long partMaxBytes,
                                     int uploadsInFlight, long multipartBytes, PartCompression compression,
                                     int compressionLevel, Path spoolDir,
                                     boolean resume, boolean oneShot, int requestTimeoutSeconds, Path requestDir,
                                     boolean sliceQueueEnabled, int sliceStallMinutes) {

    public static final String PREFIX = "ferry.opensearch-to-s3.";

    public static void addRules(SettingsValidator v) {
        v.require(PREFIX + "index", s -> !s.isBlank() && !s.startsWith("_") && !s.contains("/"),
                "an index, alias or pattern (e.g. logs-2026-* or a,b)");
        v.optional(PREFIX + "query", s -> s.trim().startsWith("{") && s.trim().endsWith("}"),
                "empty (every document) or a JSON query clause such as {\"term\":{\"tenant\":\"a\"}}");
        v.require(PREFIX + "destination", s -> DumpDestinationUri.parse(s) != null, DumpDestinationUri.FORMS);
        // bucket and prefix became the one destination setting: an old configuration is told what to write instead
        for (String retired : new String[] {"bucket", "prefix"}) {
            v.optional(PREFIX + retired, s -> false, "no value: bucket and prefix are replaced by one setting, "
                    + PREFIX + "destination = s3://<bucket>/<prefix> (environment variable"
                    + " FERRY_OPENSEARCH_TO_S3_DESTINATION); write that and remove " + PREFIX + "bucket and " + PREFIX
                    + "prefix");
        }
        v.require(PREFIX + "schedule", s -> s.trim().split("\\s+").length >= 6,
                "a Quartz cron expression with seconds, e.g. 0 0 2 * * ? (02:00 every day)");
        v.require(PREFIX + "page-size", s -> between(s, 1, 10_000), "a whole number from 1 to 10000 (index.max_result_window)");
        v.require(PREFIX + "slices", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "sort", s -> s.equals("auto") || s.equals("_shard_doc") || s.equals("_doc") || s.equals("_id"),
                "auto (index order: _shard_doc on OpenSearch 3.x, _doc one slice per shard on 2.x), _shard_doc, _doc"
                + " (one index) or _id (slow: the server sorts every id)");
        v.require(PREFIX + "keep-alive", s -> s.matches("[1-9][0-9]*(s|m|h)"), "a duration such as 30s, 10m or 1h");
        v.require(PREFIX + "part-max-docs", s -> between(s, 1, Long.MAX_VALUE), "a whole number >= 1");
        v.require(PREFIX + "part-max-bytes", s -> between(s, 1024, Long.MAX_VALUE), "a number of bytes >= 1024");
        v.require(PREFIX + "uploads-in-flight", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "multipart-part-bytes", s -> between(s, 5L * 1024 * 1024, 5L * 1024 * 1024 * 1024),
                "a number of bytes from 5 MiB (5242880) to 5 GiB (S3's limits for a multipart piece)");
        v.require(PREFIX + "compression", s -> PartCompression.of(s) != null,
                "gzip (every tool reads it) or zstd (a third of the CPU, smaller; for dumps Ferry restores)");
        v.require(PREFIX + "compression-level", s -> between(s, 1, 9), "a gzip or zstd level from 1 (fastest) to 9 (smallest)");
        v.require(PREFIX + "spool-dir", s -> !s.isBlank(), "a local directory for parts waiting to be uploaded");
        v.require(PREFIX + "request-dir", s -> !s.isBlank(), "a local directory watched for dump requests");
        v.require(PREFIX + "resume", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "one-shot", SettingsValidator::isBooleanValue, "true or false");
        v.require(PREFIX + "progress-every-seconds", s -> between(s, 1, 86_400), "a whole number of seconds >= 1");
        v.require(PREFIX + "request-timeout-seconds", s -> between(s, 1, 3_600), "a whole number of seconds >= 1");
        v.require(PREFIX + "slice-queue-enabled", SettingsValidator::isBooleanValue, "true or false");
        v.requireWhen(PREFIX + "slice-queue-url", PREFIX + "slice-queue-enabled", java.util.List.of("true"),
                s -> s.matches("https?://[^/\\s]+/[^/\\s]+/[A-Za-z0-9_-]{1,80}"),
                "an SQS queue URL (a standard queue) such as https://sqs.us-east-1.amazonaws.com/123456789012/ferry-dump-slices");
        v.require(PREFIX + "slice-queue-consumers", s -> between(s, 1, 64), "a whole number from 1 to 64");
        v.require(PREFIX + "slice-queue-visibility-seconds", s -> between(s, 10, 43_200), "seconds, 10 to 43200 (12 h)");
        v.require(PREFIX + "slice-queue-wait-seconds", s -> between(s, 0, 20), "seconds, 0 to 20 (SQS long polling)");
        v.require(PREFIX + "slice-stall-minutes", s -> between(s, 1, 10_080), "minutes, 1 to 10080 (a week)");
    }

    public static OpenSearchToS3Settings from(PropertiesComponent pc) {
        return new OpenSearchToS3Settings(get(pc, "index"), optional(pc, "query"),
                DumpDestinationUri.parse(get(pc, "destination")),
                Integer.parseInt(get(pc, "page-size")), Integer.parseInt(get(pc, "slices")), get(pc, "sort"),
                get(pc, "keep-alive"), Long.parseLong(get(pc, "part-max-docs")), Long.parseLong(get(pc, "part-max-bytes")),
                Integer.parseInt(get(pc, "uploads-in-flight")), Long.parseLong(get(pc, "multipart-part-bytes")),
                PartCompression.of(get(pc, "compression")), Integer.parseInt(get(pc, "compression-level")),
                Path.of(get(pc, "spool-dir")),
                Boolean.parseBoolean(get(pc, "resume")), Boolean.parseBoolean(get(pc, "one-shot")),
                Integer.parseInt(get(pc, "request-timeout-seconds")), Path.of(get(pc, "request-dir")),
                Boolean.parseBoolean(get(pc, "slice-queue-enabled")), Integer.parseInt(get(pc, "slice-stall-minutes")));
    }

    private static boolean between(String s, long min, long max) {
        long v = Long.parseLong(s.trim());
        return v >= min && v <= max;
    }

    private static String get(PropertiesComponent pc, String key) {
        return pc.resolveProperty(PREFIX + key).map(String::trim)
                .orElseThrow(() -> new IllegalArgumentException("missing setting " + PREFIX + key));
    }

    private static String optional(PropertiesComponent pc, String key) {
        return pc.resolveProperty(PREFIX + key).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
    }
}
