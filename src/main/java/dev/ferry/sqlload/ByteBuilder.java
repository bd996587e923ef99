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

    /** A non-negative number in decimal ASCII digits, without a String in between. */
    void decimal(int value) {
        if (value < 0) {
            ascii(Integer.toString(value));
            return;
        }
        int digits = 1;
        for (int v = value; v >= 10; v /= 10) {
            digits++;
        }
        room(digits);
        for (int i = len + digits - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        len += digits;
    }

    /**
     * The text as UTF-8, encoded straight into the array: the same bytes as {@code s.getBytes(UTF_8)} (an unpaired
     * surrogate becomes {@code ?}), without that call's two arrays per string.
     */
    void utf8(String s) {
        utf8(s, 0, s.length());
    }

    /** The chars from {@code from} to {@code to} (exclusive) as {@link #utf8(String)} writes them. */
    void utf8(String s, int from, int to) {
        room(3 * (to - from)); // at most 3 bytes per char: a pair of surrogates (2 chars) is 4 bytes
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[len++] = (byte) c;
            } else if (c < 0x800) {
                buf[len++] = (byte) (0xC0 | c >> 6);
                buf[len++] = (byte) (0x80 | c & 0x3F);
            } else if (!Character.isSurrogate(c)) {
                buf[len++] = (byte) (0xE0 | c >> 12);
                buf[len++] = (byte) (0x80 | c >> 6 & 0x3F);
                buf[len++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                buf[len++] = (byte) (0xF0 | cp >> 18);
                buf[len++] = (byte) (0x80 | cp >> 12 & 0x3F);
                buf[len++] = (byte) (0x80 | cp >> 6 & 0x3F);
                buf[len++] = (byte) (0x80 | cp & 0x3F);
            } else {
                buf[len++] = '?';
            }
        }
    }

    /** How many bytes {@link #utf8} writes for the text. */
    static int utf8Length(String s) {
        int n = s.length();
        int bytes = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80) {
                if (c < 0x800) {
                    bytes += 1;
                } else if (!Character.isSurrogate(c)) {
                    bytes += 2;
                } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 2; // 4 bytes for the 2 chars
                    i++;
                }
                // an unpaired surrogate: one '?'
            }
        }
        return bytes;
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
