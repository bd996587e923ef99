package dev.ferry.s3;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.zip.GZIPInputStream;

/**
 * Reads an S3 object as NDJSON and hands out its lines in batches cut by count and by bytes, so a bulk request never
 * grows with the object. Gzip and zstd are detected by their magic bytes (a {@code .gz} or {@code .zst} name is not
 * trusted either way).
 *
 * <p>Damage does not throw: a corrupt or truncated gzip or zstd stream, or bytes that are not UTF-8 text end the iteration after the lines
 * read so far, and {@link #damage()} says where and why, so the caller indexes what was readable and then
 * dead-letters the whole object. Only damage in bytes S3 delivered counts: the source stream resumes broken downloads
 * itself and throws a runtime {@link ResumingObjectStream.DownloadFailedException} when it cannot, which passes
 * through here and fails the run. Blank lines carry no document and are skipped.
 */
public final class NdjsonBatches implements Iterator<List<SourceLine>>, Closeable {

    /** A line over the limit keeps this many leading bytes for its dead letter. */
    static final int TRUNCATED_KEEP = 4096;

    private final InputStream in;
    private final int maxDocs;
    private final long maxBytes;
    private final int maxLineBytes;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int limit;
    private boolean eof;
    private long lineNumber;
    private long linesRead;
    private long bytesRead;
    private String damage;
    private SourceLine carried;
    private List<SourceLine> next;
    /** gzip, zstd, or null for plain text. */
    private final String compression;
    private byte[] lineBuf = new byte[1024];
    private boolean sawNul;
    private boolean sawNonAscii;
    private final long objectSize;
    private final ConsumedCount source;

    public NdjsonBatches(InputStream raw, int maxDocs, long maxBytes, int maxLineBytes) {
        this(raw, -1, maxDocs, maxBytes, maxLineBytes);
    }

    /**
     * @param raw        the object's bytes as stored; a transport failure must not reach this class as an IOException
     *                   (see {@link ResumingObjectStream}): every IOException read here is taken for damage
     * @param objectSize the object's stored length, for saying how much of it a damage left unread (-1: unknown)
     */
    public NdjsonBatches(InputStream raw, long objectSize, int maxDocs, long maxBytes, int maxLineBytes) {
        this.maxDocs = maxDocs;
        this.maxBytes = maxBytes;
        this.maxLineBytes = maxLineBytes;
        this.objectSize = objectSize;
        this.source = new ConsumedCount(raw);
        BufferedInputStream buffered = new BufferedInputStream(source, 64 * 1024);
        InputStream opened = buffered;
        String kind = null;
        try {
            buffered.mark(4);
            byte[] magic = buffered.readNBytes(4);
            buffered.reset();
            if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
                kind = "gzip";
                opened = new GZIPInputStream(buffered, 64 * 1024);
            } else if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                    && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
                kind = "zstd";
                opened = zstd(buffered);
            }
        } catch (IOException e) {
            damage = "corrupt " + kind + " at the start of the object: " + e.getMessage();
            eof = true;
        }
        this.in = opened;
        this.compression = kind;
    }

    @Override
    public boolean hasNext() {
        if (next == null) {
            next = readBatch();
        }
        return !next.isEmpty();
    }

    @Override
    public List<SourceLine> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        List<SourceLine> batch = next;
        next = null;
        return batch;
    }

    private List<SourceLine> readBatch() {
        List<SourceLine> batch = new ArrayList<>();
        long batchBytes = 0;
        while (batch.size() < maxDocs) {
            SourceLine line = carried != null ? carried : readLine();
            carried = null;
            if (line == null) {
                break;
            }
            if (!batch.isEmpty() && batchBytes + line.length() > maxBytes) {
                carried = line; // starts the next batch: a batch stays under max-bytes unless one line alone is bigger
                break;
            }
            batch.add(line);
            batchBytes += line.length();
        }
        return batch;
    }

    /** The next non-blank line, or null at the end of the object or at damage. */
    private SourceLine readLine() {
        while (true) {
            if (eof && pos >= limit) {
                return null;
            }
            int len = 0;          // bytes kept in lineBuf (a line spanning buffer refills)
            long total = 0;       // the line's full length
            boolean ended = false;
            boolean spanned = false;
            int start = pos;
            int end = pos;
            sawNul = false;
            sawNonAscii = false;
            try {
                while (!ended) {
                    if (pos >= limit) {
                        if (pos > start) { // the line goes on past this buffer: keep its head before refilling
                            len = keep(start, pos, len);
                            spanned = true;
                        }
                        int n = eof ? -1 : in.read(buf);
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                        pos = start = 0;
                        limit = n;
                        continue;
                    }
                    int nl = scan(pos, limit);
                    end = nl < 0 ? limit : nl;
                    total += end - pos;
                    pos = nl < 0 ? limit : nl + 1;
                    ended = nl >= 0;
                }
            } catch (IOException e) {
                // The part line at the damage is part of the damaged remainder: the whole object is dead-lettered.
                damage = (compression != null ? "corrupt " + compression : "read error") + " after line " + lineNumber + ": "
                        + e.getMessage();
                eof = true;
                pos = limit;
                return null;
            }
            if (!ended && total == 0) {
                return null;
            }
            lineNumber++;
            bytesRead += total + (ended ? 1 : 0);
            byte[] bytes;
            boolean truncated = total > maxLineBytes;
            int keepLength = truncated ? Math.min(TRUNCATED_KEEP, maxLineBytes) : (int) total;
            if (!spanned) {
                bytes = Arrays.copyOfRange(buf, start, start + keepLength); // the common case: one copy
            } else {
                if (ended) {
                    len = keep(start, end, len);
                }
                bytes = Arrays.copyOf(lineBuf, Math.min(len, keepLength));
            }
            if (!truncated && bytes.length > 0 && bytes[bytes.length - 1] == '\r') {
                bytes = Arrays.copyOf(bytes, bytes.length - 1);
                total--;
            }
            // The kept head of a truncated line may end inside a multi-byte character: only NUL bytes count there.
            String notText = sawNul ? "NUL byte" : sawNonAscii && !truncated ? utf8Problem(bytes) : null;
            if (notText != null) {
                damage = "not UTF-8 text at line " + lineNumber + ": " + notText;
                lineNumber--;
                eof = true;
                pos = limit;
                return null;
            }
            if (!truncated && isBlank(bytes)) {
                continue;
            }
            linesRead++;
            return new SourceLine(lineNumber, bytes, total, truncated);
        }
    }

    /** Appends buf[from, to) to the line being assembled across refills, up to the kept length; returns the new length. */
    private int keep(int from, int to, int len) {
        int room = (int) Math.min(to - from, Math.max(0, (long) maxLineBytes - len));
        if (room > 0) {
            if (len + room > lineBuf.length) {
                lineBuf = Arrays.copyOf(lineBuf, Math.max(len + room, (int) Math.min(lineBuf.length * 2L, maxLineBytes)));
            }
            System.arraycopy(buf, from, lineBuf, len, room);
        }
        return len + room;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long NEWLINES = 0x0a0a0a0a0a0a0a0aL;

    /**
     * The index of the first '\n' in buf[from, to), or -1; notes NUL and non-ASCII bytes before it. Eight bytes at a
     * time: {@code (v - 0x01..) & ~v & 0x80..} is non-zero exactly when v has a zero byte, and its lowest set bit
     * marks the first one.
     */
    private int scan(int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long v = (long) LONGS.get(buf, i);
            long x = v ^ NEWLINES;
            long newline = (x - ONES) & ~x & HIGH_BITS;
            if (newline != 0) {
                int at = i + (Long.numberOfTrailingZeros(newline) >>> 3);
                note(i, at);
                return at;
            }
            if ((v & HIGH_BITS) != 0) {
                sawNonAscii = true;
            }
            if (((v - ONES) & ~v & HIGH_BITS) != 0) {
                sawNul = true;
            }
        }
        for (; i < to; i++) {
            if (buf[i] == '\n') {
                return i;
            }
            note(i, i + 1);
        }
        return -1;
    }

    private void note(int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = buf[i];
            if (b == 0) {
                sawNul = true;
            } else if (b < 0) {
                sawNonAscii = true;
            }
        }
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * "invalid UTF-8" when these bytes (a line with bytes above 0x7f, its NUL bytes already ruled out by the scan)
     * are not UTF-8, or null when they are.
     */
    static String utf8Problem(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return null;
        } catch (CharacterCodingException e) {
            return "invalid UTF-8";
        }
    }

    /** Why the rest of the object could not be read, or null when it was read to its end. */
    public String damage() {
        return damage;
    }

    /** The object's stored length as given (-1: unknown). */
    public long objectSize() {
        return objectSize;
    }

    /**
     * Stored (for gzip: compressed) bytes of the object taken from S3 so far; at damage, where reading stopped. It
     * includes the read-ahead of the decompressor and line buffers (up to 128 KB), so the bytes left unread after a
     * damage are at least {@code objectSize - objectBytesConsumed}.
     */
    public long objectBytesConsumed() {
        return source.count;
    }

    /** Non-blank lines handed out so far. */
    public long linesRead() {
        return linesRead;
    }

    /** Decompressed bytes read so far. */
    public long bytesRead() {
        return bytesRead;
    }

    /** Whether the object's bytes are compressed (gzip or zstd). */
    public boolean compressed() {
        return compression != null;
    }

    /**
     * zstd's reader over the object. A missing native library is no damage of the object: the run fails (and the
     * object stays for a Ferry that can read it).
     */
    private static InputStream zstd(InputStream in) throws IOException {
        try {
            return new com.github.luben.zstd.ZstdInputStream(in);
        } catch (LinkageError e) {
            throw new IllegalStateException("a zstd object, and zstd-jni's native library cannot be loaded here: " + e, e);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /** Counts the stored bytes taken from the source (reads whole arrays through, unlike FilterInputStream's skip). */
    private static final class ConsumedCount extends java.io.FilterInputStream {
        long count;

        ConsumedCount(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = in.skip(n);
            count += Math.max(0, skipped);
            return skipped;
        }
    }
}
