package dev.ferry.snapshot;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Keeps the bytes a JSON parser has read since a mark, addressed by their absolute offset in the stream, so that
 * a value the parser has just skipped (a hit's {@code _source}) can be copied out exactly as the server sent it.
 * Holds at most what lies between the mark and the parser's read-ahead: one hit plus one parser buffer. Forgetting
 * bytes only moves a start index; the held bytes are moved to the front when the buffer is full (not after every
 * hit: that was a read-ahead's worth of copying per document).
 */
final class RecordingInputStream extends FilterInputStream {

    private byte[] buffer = new byte[64 * 1024];
    private long base;   // absolute offset of buffer[start]
    private int start;   // index of the first byte held
    private int length;  // bytes held

    RecordingInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            ensure(1);
            buffer[start + length++] = (byte) b;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) {
            ensure(n);
            System.arraycopy(b, off, buffer, start + length, n);
            length += n;
        }
        return n;
    }

    /** Forgets every byte before the absolute offset {@code offset}. */
    void discardBefore(long offset) {
        int drop = (int) Math.min(length, Math.max(0, offset - base));
        if (drop > 0) {
            start += drop;
            length -= drop;
            base += drop;
        }
    }

    /** The bytes in [from, to) (absolute offsets), which must still be held. */
    byte[] copy(long from, long to) {
        if (from < base || to > base + length || from > to) {
            throw new IllegalStateException("bytes " + from + ".." + to + " are not held (" + base + ".." + (base + length) + ")");
        }
        return Arrays.copyOfRange(buffer, start + (int) (from - base), start + (int) (to - base));
    }

    /** Index into {@link #array()} of the absolute offset, which must still be held. */
    int position(long offset) {
        if (offset < base || offset > base + length) {
            throw new IllegalStateException("byte " + offset + " is not held (" + base + ".." + (base + length) + ")");
        }
        return start + (int) (offset - base);
    }

    byte[] array() {
        return buffer;
    }

    private void ensure(int more) {
        if (start + length + more <= buffer.length) {
            return;
        }
        if (start > 0) {
            System.arraycopy(buffer, start, buffer, 0, length);
            start = 0;
        }
        if (length + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
        }
    }
}
