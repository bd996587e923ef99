package dev.ferry.sqlload;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;

/**
 * A PostgreSQL {@code COPY ... FROM STDIN} body in its text format being written, as UTF-8: values escaped only where
 * they have to be ({@code \\}, tab, line feed, carriage return), {@code \N} for no value. One batch's body, written by
 * one thread.
 */
final class CopyText extends ByteBuilder {

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final int[] POW10 = {1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
            1_000_000_000};

    CopyText(int initialSize) {
        super(initialSize);
    }

    /** Text: as is when it is plain ASCII without COPY's special characters (the common case), else escaped UTF-8. */
    void escaped(String s) {
        int n = s.length();
        room(n);
        int start = len;
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch == '\\' || ch == '\t' || ch == '\n' || ch == '\r' || ch >= 0x80) {
                len = start;
                escapedSlow(s);
                return;
            }
            buf[len++] = (byte) ch;
        }
    }

    private void escapedSlow(String s) {
        int from = 0;
        for (int i = 0; i < s.length(); i++) {
            String escape = switch (s.charAt(i)) {
                case '\\' -> "\\\\";
                case '\t' -> "\\t";
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                default -> null;
            };
            if (escape != null) {
                utf8(s, from, i); // ASCII escapes never split a surrogate pair
                ascii(escape);
                from = i + 1;
            }
        }
        utf8(s, from, s.length());
    }

    /**
     * bytea in its hex form, {@code \x0a1b...}; COPY's text format takes the backslash itself as an escape, so it is
     * doubled: the field is written {@code \\x0a1b...}.
     */
    void bytea(byte[] bytes) {
        room(3 + 2 * bytes.length);
        buf[len++] = '\\';
        buf[len++] = '\\';
        buf[len++] = 'x';
        for (byte b : bytes) {
            buf[len++] = HEX[(b >> 4) & 0xf];
            buf[len++] = HEX[b & 0xf];
        }
    }

    /** yyyy-MM-dd HH:mm:ss[.fraction], as PostgreSQL reads it. */
    void timestamp(LocalDateTime t) {
        digits(t.getYear(), 4);
        write('-');
        digits(t.getMonthValue(), 2);
        write('-');
        digits(t.getDayOfMonth(), 2);
        write(' ');
        digits(t.getHour(), 2);
        write(':');
        digits(t.getMinute(), 2);
        write(':');
        digits(t.getSecond(), 2);
        if (t.getNano() != 0) {
            write('.');
            digits(t.getNano(), 9);
        }
    }

    /** Zero-padded to width; a value that does not fit (a year past 9999) is written whole. */
    private void digits(int value, int width) {
        if (value < 0 || width < 9 && value >= POW10[width]) {
            ascii(Integer.toString(value));
            return;
        }
        room(width);
        for (int div = POW10[width - 1]; div > 0; div /= 10) {
            buf[len++] = (byte) ('0' + (value / div) % 10);
        }
    }
}
