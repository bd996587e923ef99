package dev.ferry.opensearch;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * Finds one top-level field of a JSON object in its bytes without a JSON parser: a transform's condition or index
 * pattern reads a field or two of every document, and a Jackson parser per look allocated about 1.3 KB (its symbol
 * table) and decoded every field name on the way. This walks the bytes, compares names as bytes, and skips values by
 * their brackets and quotes. It trusts that the bytes are JSON (every document was read by a JSON parser first); on
 * anything it does not expect (an escaped name, a broken structure) it answers {@link #CANNOT} and the caller uses the
 * parser, which then names the problem.
 */
final class SourceScan {

    /** The object has no such top-level field. */
    static final long ABSENT = -1;
    /** Not scannable here; use a JSON parser. */
    static final long CANNOT = -2;

    private SourceScan() {
    }

    /**
     * Where the value of top-level field {@code key} is in {@code b[from, to)}: {@code start << 32 | end}, or
     * {@link #ABSENT}, or {@link #CANNOT}. The first field of that name wins, as with a parser that stops there.
     */
    static long find(byte[] b, int from, int to, String key) {
        int p = skipSpace(b, from, to);
        if (p >= to || b[p] != '{') {
            return CANNOT;
        }
        p = skipSpace(b, p + 1, to);
        if (p < to && b[p] == '}') {
            return ABSENT;
        }
        while (p < to) {
            if (b[p] != '"') {
                return CANNOT;
            }
            int nameStart = p + 1;
            int nameEnd = nameStart;
            while (nameEnd < to && b[nameEnd] != '"') {
                if (b[nameEnd] == '\\') {
                    return CANNOT; // an escaped name: the parser decodes it
                }
                nameEnd++;
            }
            if (nameEnd >= to) {
                return CANNOT;
            }
            p = skipSpace(b, nameEnd + 1, to);
            if (p >= to || b[p] != ':') {
                return CANNOT;
            }
            int valueStart = skipSpace(b, p + 1, to);
            int valueEnd = skipValue(b, valueStart, to);
            if (valueEnd < 0) {
                return CANNOT;
            }
            if (sameName(b, nameStart, nameEnd, key)) {
                return (long) valueStart << 32 | valueEnd;
            }
            p = skipSpace(b, valueEnd, to);
            if (p >= to) {
                return CANNOT;
            }
            if (b[p] == '}') {
                return ABSENT;
            }
            if (b[p] != ',') {
                return CANNOT;
            }
            p = skipSpace(b, p + 1, to);
        }
        return CANNOT;
    }

    /**
     * A scalar value as a JSON parser gives it (text, Integer/Long/BigInteger, BigDecimal, Boolean, null), or
     * {@link #CANNOT_DECODE} for what the parser must read (objects, arrays, escaped text, anything unexpected).
     */
    static Object decode(byte[] b, int start, int end) {
        byte first = b[start];
        if (first == '"') {
            for (int i = start + 1; i < end - 1; i++) {
                if (b[i] == '\\') {
                    return CANNOT_DECODE;
                }
            }
            return new String(b, start + 1, end - start - 2, StandardCharsets.UTF_8);
        }
        if (literal(b, start, end, "true")) {
            return Boolean.TRUE;
        }
        if (literal(b, start, end, "false")) {
            return Boolean.FALSE;
        }
        if (literal(b, start, end, "null")) {
            return null;
        }
        if (first == '-' || first >= '0' && first <= '9') {
            boolean integral = true;
            for (int i = start; i < end; i++) {
                byte c = b[i];
                if (c == '.' || c == 'e' || c == 'E') {
                    integral = false;
                } else if (!(c >= '0' && c <= '9' || c == '-' || c == '+')) {
                    return CANNOT_DECODE;
                }
            }
            String text = new String(b, start, end - start, StandardCharsets.ISO_8859_1);
            try {
                if (!integral) {
                    return new BigDecimal(text);
                }
                if (end - start <= 18) {
                    long v = Long.parseLong(text);
                    return v == (int) v ? (Object) (int) v : (Object) v;
                }
                BigInteger big = new BigInteger(text);
                return big.bitLength() < 64 ? (Object) big.longValue() : big;
            } catch (NumberFormatException e) {
                return CANNOT_DECODE;
            }
        }
        return CANNOT_DECODE;
    }

    /** {@link #decode} could not: read the value with a JSON parser. */
    static final Object CANNOT_DECODE = new Object();

    private static boolean literal(byte[] b, int start, int end, String word) {
        if (end - start != word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (b[start + i] != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameName(byte[] b, int start, int end, String key) {
        int n = key.length();
        if (end - start < n) {
            return false; // UTF-8 takes at least one byte per char
        }
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            if (key.charAt(i) >= 0x80) {
                ascii = false;
                break;
            }
        }
        if (!ascii) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            return java.util.Arrays.equals(b, start, end, k, 0, k.length);
        }
        if (end - start != n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (b[start + i] != (byte) key.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The index after the value starting at {@code p}, or -1 when it does not end before {@code to}. */
    private static int skipValue(byte[] b, int p, int to) {
        if (p >= to) {
            return -1;
        }
        byte c = b[p];
        if (c == '"') {
            return skipString(b, p, to);
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            while (p < to) {
                c = b[p];
                if (c == '"') {
                    p = skipString(b, p, to);
                    if (p < 0) {
                        return -1;
                    }
                    continue;
                }
                if (c == '{' || c == '[') {
                    depth++;
                } else if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        return p + 1;
                    }
                }
                p++;
            }
            return -1;
        }
        while (p < to) { // a number or a literal: up to the next separator
            c = b[p];
            if (c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                return p;
            }
            p++;
        }
        return -1;
    }

    /** The index after the string whose opening quote is at {@code p}, or -1. */
    private static int skipString(byte[] b, int p, int to) {
        for (int i = p + 1; i < to; i++) {
            if (b[i] == '\\') {
                i++;
            } else if (b[i] == '"') {
                return i + 1;
            }
        }
        return -1;
    }

    private static int skipSpace(byte[] b, int p, int to) {
        while (p < to && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n')) {
            p++;
        }
        return p;
    }
}
