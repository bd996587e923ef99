package dev.ferry.sqlload;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A growable byte array written by one thread: a COPY body ({@link CopyText}), a row's bytes to hash
 * ({@link RowHasher}). Not a {@link java.io.ByteArrayOutputStream}, whose every one-byte write is synchronized (that
 * lock was 40 % of the PostgreSQL load's CPU).
 */
class ByteBuilder {

    protected byte[] buf;
    protected int len;

    ByteBuilder(int initialSize) {
        buf = new byte[Math.max(64, initialSize)];
    }

    int size() {
        return len;
    }

    /** Empties it for reuse, keeping the array. */
    void reset() {
        len = 0;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    /** What was written so far, without a copy. */
    InputStream asInputStream() {
        return new ByteArrayInputStream(buf, 0, len);
    }

    /** Makes room for {@code n} more bytes. */
    protected final void room(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    void write(int b) {
        room(1);
        buf[len++] = (byte) b;
    }

    void write(byte[] bytes) {
        room(bytes.length);
        System.arraycopy(bytes, 0, buf, len, bytes.length);
        len += bytes.length;
    }

    /** Text known to be ASCII (numbers, markers): one byte per character. */
    void ascii(String s) {
        int n = s.length();
        room(n);
        for (int i = 0; i < n; i++) {
            buf[len++] = (byte) s.charAt(i);
        }
    }
}
