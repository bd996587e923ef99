package dev.ferry.dump;

import dev.ferry.config.Sha256;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.util.HexFormat;

/**
 * Writes one part to the local spool as compressed NDJSON (gzip or zstd), counting documents and uncompressed bytes (to know when to
 * cut) and hashing the compressed bytes as they are written (the SHA-256 that the manifest records for the object).
 */
public final class PartWriter implements AutoCloseable {

    private final int number;
    private final int slice;
    private final Path file;
    private final CountingStream compressed;
    private final DigestOutputStream digest;
    private final PartCompression compression;
    private final OutputStream lines;
    private final OutputStream spool; // the file itself, closed on its own when abandoning (see close)
    private long documents;
    private long uncompressedBytes;
    private boolean closed;

    public PartWriter(Path spoolDir, String dumpId, int number, int slice, PartCompression compression, int compressionLevel) {
        this.number = number;
        this.slice = slice;
        this.compression = compression;
        try {
            Files.createDirectories(spoolDir);
            this.file = Files.createTempFile(spoolDir, dumpId + "-" + number + "-", compression.suffix());
            this.spool = Files.newOutputStream(file);
            this.compressed = new CountingStream(new BufferedOutputStream(spool, 64 * 1024));
            this.digest = new DigestOutputStream(compressed, Sha256.newDigest());
            this.lines = new BufferedOutputStream(compression.compress(digest, compressionLevel), 64 * 1024);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool a part under " + spoolDir, e);
        }
    }

    /** Where one more line goes; the caller reports it with {@link #lineWritten(int)}. */
    public OutputStream lines() {
        return lines;
    }

    public void lineWritten(int bytes) {
        documents++;
        uncompressedBytes += bytes;
    }

    public long documents() {
        return documents;
    }

    public int number() {
        return number;
    }

    public long uncompressedBytes() {
        return uncompressedBytes;
    }

    public boolean isEmpty() {
        return documents == 0;
    }

    /** Finishes the compressed stream and describes the part. */
    public SpooledPart finish(byte[] lastSort) {
        try {
            lines.close();
            closed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish spooled part " + file, e);
        }
        return new SpooledPart(number, slice, file, documents, compressed.count(),
                HexFormat.of().formatHex(digest.getMessageDigest().digest()), lastSort, compression);
    }

    /** Abandons the part (on failure): closes and deletes its spool file. */
    @Override
    public void close() {
        if (!closed) {
            try {
                lines.close();
            } catch (IOException ignored) {
                // deleted below anyway
            }
            // Closed here too, whatever the compressor's close did: a close that fails writing its last bytes (a full
            // disk) may not reach the file under it, as the dir-to-s3 state's writer did not (SyncStateFullDiskTest),
            // and the deleted file would keep its room on the spool disk while the stream lived.
            try {
                spool.close();
            } catch (IOException ignored) {
                // deleted below anyway
            }
            closed = true;
            deleteSpool(file);
        }
    }

    public static void deleteSpool(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover spool file is cleaned on the next start of the same dump
        }
    }
}
