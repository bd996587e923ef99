package dev.ferry.s3;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
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
 * grows with the object. Gzip is detected by its magic bytes (a {@code .gz} name is not trusted either way).
 *
 * <p>Damage does not throw: a corrupt gzip stream or bytes that are not UTF-8 text end the iteration after the lines
 * read so far, and {@link #damage()} says where and why, so the caller indexes what was readable and then
 * dead-letters the whole object. Blank lines carry no document and are skipped.
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
    private final boolean gzipped;

    public NdjsonBatches(InputStream raw, int maxDocs, long maxBytes, int maxLineBytes) {
        this.maxDocs = maxDocs;
        this.maxBytes = maxBytes;
        this.maxLineBytes = maxLineBytes;
        BufferedInputStream buffered = new BufferedInputStream(raw, 64 * 1024);
        InputStream opened = buffered;
        boolean gz = false;
        try {
            buffered.mark(2);
            int b1 = buffered.read();
            int b2 = buffered.read();
            buffered.reset();
            gz = b1 == 0x1f && b2 == 0x8b;
            if (gz) {
                opened = new GZIPInputStream(buffered, 64 * 1024);
            }
        } catch (IOException e) {
            damage = "corrupt gzip at the start of the object: " + e.getMessage();
            eof = true;
        }
        this.in = opened;
        this.gzipped = gz;
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
            byte[] lineBuf = new byte[256];
            int len = 0;
            long total = 0;
            boolean ended = false;
            try {
                while (!ended) {
                    if (pos >= limit) {
                        int n = eof ? -1 : in.read(buf);
                        if (n < 0) {
                            eof = true;
                            break;
                        }
                        pos = 0;
                        limit = n;
                        continue;
                    }
                    int start = pos;
                    int nl = -1;
                    for (int i = pos; i < limit; i++) {
                        if (buf[i] == '\n') {
                            nl = i;
                            break;
                        }
                    }
                    int end = nl < 0 ? limit : nl;
                    int chunk = end - start;
                    int room = (int) Math.min(chunk, Math.max(0, (long) maxLineBytes - len));
                    if (room > 0) {
                        if (len + room > lineBuf.length) {
                            lineBuf = Arrays.copyOf(lineBuf, Math.max(len + room, Math.min(lineBuf.length * 2, maxLineBytes)));
                        }
                        System.arraycopy(buf, start, lineBuf, len, room);
                        len += room;
                    }
                    total += chunk;
                    pos = nl < 0 ? limit : nl + 1;
                    ended = nl >= 0;
                }
            } catch (IOException e) {
                // The part line at the damage is part of the damaged remainder: the whole object is dead-lettered.
                damage = (gzipped ? "corrupt gzip" : "read error") + " after line " + lineNumber + ": " + e.getMessage();
                eof = true;
                pos = limit;
                return null;
            }
            if (!ended && total == 0) {
                return null;
            }
            lineNumber++;
            bytesRead += total + (ended ? 1 : 0);
            if (len > 0 && total == len && lineBuf[len - 1] == '\r') {
                len--;
                total--;
            }
            boolean truncated = total > maxLineBytes;
            byte[] bytes = Arrays.copyOf(lineBuf, truncated ? Math.min(len, TRUNCATED_KEEP) : len);
            String notText = notText(bytes, !truncated);
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

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }

    /**
     * Why these bytes are not text (a NUL byte or invalid UTF-8), or null when they are. The kept head of a truncated
     * line may end inside a multi-byte character, so only NUL bytes are checked there.
     */
    static String notText(byte[] bytes, boolean checkUtf8) {
        boolean ascii = true;
        for (byte b : bytes) {
            if (b == 0) {
                return "NUL byte";
            }
            if (b < 0) {
                ascii = false;
            }
        }
        if (ascii || !checkUtf8) {
            return null;
        }
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

    /** Non-blank lines handed out so far. */
    public long linesRead() {
        return linesRead;
    }

    /** Decompressed bytes read so far. */
    public long bytesRead() {
        return bytesRead;
    }

    public boolean gzipped() {
        return gzipped;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
