package dev.ferry.dump;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Counts the bytes written through it (a part's compressed size; the embedded report server's bytes served). Writes
 * arrays through whole, unlike {@link FilterOutputStream}, which would write them byte by byte. Not thread-safe.
 */
public final class CountingStream extends FilterOutputStream {

    private long count;

    public CountingStream(OutputStream out) {
        super(out);
    }

    /** Bytes written so far. */
    public long count() {
        return count;
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        count += len;
    }
}
