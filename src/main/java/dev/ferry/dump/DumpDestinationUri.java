package dev.ferry.dump;

import java.nio.file.Path;

/**
 * The value of {@code ferry.opensearch-to-s3.destination}: {@code s3://bucket[/prefix]} or {@code file:<directory>}
 * ({@code file:/abs/dir}, {@code file:///abs/dir}, or {@code file:rel/dir} relative to the working directory).
 */
public sealed interface DumpDestinationUri {

    String FORMS = "s3://<bucket>/<prefix> (an S3 bucket and an optional key prefix, e.g. s3://ferry-dumps/dumps) or"
            + " file:<directory> (a local directory, e.g. file:/var/ferry/dumps, or file:dumps relative to the working"
            + " directory)";

    record S3(String bucket, String prefix) implements DumpDestinationUri {
    }

    record Directory(Path directory) implements DumpDestinationUri {
    }

    /** Parses the setting; a value of another form throws, saying which forms are accepted. */
    static DumpDestinationUri parse(String value) {
        String v = value.trim();
        if (v.startsWith("s3://")) {
            String rest = v.substring("s3://".length());
            int slash = rest.indexOf('/');
            String bucket = slash < 0 ? rest : rest.substring(0, slash);
            String prefix = slash < 0 ? "" : rest.substring(slash + 1);
            if (prefix.endsWith("/")) {
                prefix = prefix.substring(0, prefix.length() - 1);
            }
            if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                throw new IllegalArgumentException("'" + bucket + "' is not an S3 bucket name; expected " + FORMS);
            }
            if (prefix.startsWith("/") || prefix.contains("//")) {
                throw new IllegalArgumentException("the key prefix '" + prefix + "' has an empty folder; expected " + FORMS);
            }
            return new S3(bucket, prefix);
        }
        if (v.startsWith("file:")) {
            String path = v.substring("file:".length());
            if (path.startsWith("//")) {
                if (!path.startsWith("///")) {
                    throw new IllegalArgumentException("file: names a local directory, not a host; expected " + FORMS);
                }
                path = path.substring(2);
            }
            if (path.isBlank()) {
                throw new IllegalArgumentException("file: names no directory; expected " + FORMS);
            }
            return new Directory(Path.of(path));
        }
        throw new IllegalArgumentException("unknown destination '" + v + "'; expected " + FORMS);
    }
}
