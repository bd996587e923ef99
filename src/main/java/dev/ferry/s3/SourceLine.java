package dev.ferry.s3;

import java.nio.charset.StandardCharsets;

/**
 * One line of an NDJSON object as read: its 1-based number in the object and its bytes (without the line break).
 * A line longer than the configured limit keeps only its first bytes ({@code truncated}) so memory stays bounded;
 * {@code length} is always the full length.
 */
public record SourceLine(long number, byte[] bytes, long length, boolean truncated) {

    public static SourceLine of(long number, byte[] bytes) {
        return new SourceLine(number, bytes, bytes.length, false);
    }

    public String text() {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
