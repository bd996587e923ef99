package dev.ferry.dump;

import com.github.luben.zstd.ZstdOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

/**
 * How a dump's parts are compressed ({@code ferry.opensearch-to-s3.compression}). gzip is the default: every tool
 * reads it. zstd costs about a third of gzip's CPU to write and to read, and is smaller at the same level; for dumps
 * Ferry itself restores (s3-to-opensearch reads both, by their magic bytes). A dump keeps the compression it started
 * with when it is resumed; the checkpoint and the manifest name it, and the parts' names end with its suffix.
 */
public enum PartCompression {
    GZIP("gzip", ".ndjson.gz"),
    ZSTD("zstd", ".ndjson.zst");

    private final String id;
    private final String suffix;

    PartCompression(String id, String suffix) {
        this.id = id;
        this.suffix = suffix;
    }

    /** Its name in settings, checkpoint and manifest, and the object's Content-Encoding. */
    public String id() {
        return id;
    }

    /** The end of its parts' names: .ndjson.gz, .ndjson.zst. */
    String suffix() {
        return suffix;
    }

    public String partName(int number) {
        return String.format("part-%05d%s", number, suffix);
    }

    /** A part's file or object name, of either compression (dead letters beside the parts included). */
    static boolean isPart(String name) {
        for (PartCompression c : values()) {
            if (name.endsWith(c.suffix)) {
                return true;
            }
        }
        return false;
    }

    /** gzip or zstd; null for anything else. */
    public static PartCompression of(String id) {
        for (PartCompression c : values()) {
            if (c.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        return null;
    }

    /** A compressing stream over {@code out} at {@code level} (1 fastest .. 9). */
    OutputStream compress(OutputStream out, int level) throws IOException {
        return switch (this) {
            case GZIP -> new GZIPOutputStream(out, 64 * 1024) {
                {
                    def.setLevel(level);
                }
            };
            // with the frame's content checksum, as gzip has its CRC: without it, bytes changed in storage decode
            // into other text without an error, and a restore would index it
            case ZSTD -> new ZstdOutputStream(out, level).setChecksum(true);
        };
    }

    /**
     * Fails at start-up, not at the first part, when zstd's native library (inside the zstd-jni jar, unpacked to the
     * temporary directory) cannot be loaded on this machine.
     */
    void requireAvailable() {
        if (this == ZSTD) {
            try {
                com.github.luben.zstd.util.Native.load();
            } catch (LinkageError | RuntimeException e) {
                throw new IllegalStateException("compression = zstd needs zstd-jni's native library, which cannot be"
                        + " loaded here (" + e + "); use gzip, or give Java a writable, executable java.io.tmpdir", e);
            }
        }
    }
}
