package dev.ferry.report;

import dev.ferry.accounting.RunAccount;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;

/**
 * The report's rows, parsed by commons-csv straight from the HTTP body, one record at a time (bounded memory),
 * after checking that the response really is the expected CSV.
 *
 * <p>Checks, each failing with a {@link ReportContentException} that says what was received: a Content-Type or a
 * body that is HTML (SSRS error and login pages come with status 200); an empty body; a header that differs from
 * the configured report columns; a body that ends without the final line break (cut off mid-row) or in the middle
 * of a quoted field, or whose connection broke. Rows are counted as read when they enter a batch (RowConverter), so
 * a run that fails mid-body still balances.
 */
public final class ReportRows implements Iterator<ReportRow>, Closeable {

    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(false).get();
    private static final int SNIPPET = 300;

    private final LastByteStream body;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private long lastLine = 1; // the header ends on line 1
    private long rows;

    private ReportRows(LastByteStream body, CSVParser parser, RunAccount run) {
        this.body = body;
        this.parser = parser;
        this.records = parser.iterator();
    }

    /** Validates the start of the response and returns its data rows. Closes the body when it is not CSV. */
    public static ReportRows open(InputStream in, String contentType, List<String> expectedHeader, RunAccount run) {
        try {
            if (in == null) {
                throw new ReportContentException("the report server returned no body (status 200, " + typeOf(contentType)
                        + ") where a CSV with header " + expectedHeader + " was expected");
            }
            PushbackInputStream pin = new PushbackInputStream(in, 3);
            byte[] start = pin.readNBytes(3);
            boolean bom = start.length == 3 && (start[0] & 0xFF) == 0xEF && (start[1] & 0xFF) == 0xBB && (start[2] & 0xFF) == 0xBF;
            if (!bom) {
                pin.unread(start);
            }
            if (start.length == 0) {
                throw new ReportContentException("the report server returned an empty body (status 200, "
                        + typeOf(contentType) + ") where a CSV with header " + expectedHeader + " was expected");
            }
            String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
            if (type.contains("html") || looksLikeHtml(pin)) {
                throw new ReportContentException("the report server returned HTML instead of CSV (status 200, "
                        + typeOf(contentType) + "): " + textOf(pin));
            }
            LastByteStream body = new LastByteStream(pin);
            CSVParser parser = CSVParser.builder().setReader(new InputStreamReader(body, StandardCharsets.UTF_8))
                    .setFormat(FORMAT).get();
            ReportRows rows = new ReportRows(body, parser, run);
            rows.checkHeader(expectedHeader);
            return rows;
        } catch (IOException e) {
            close(in);
            throw new ReportContentException("the report body could not be read: " + ReportRunRecorder.message(e), e);
        } catch (RuntimeException e) {
            close(in);
            throw e;
        }
    }

    private void checkHeader(List<String> expected) {
        if (!records.hasNext()) {
            throw new ReportContentException("the report body has no header row; expected " + expected);
        }
        CSVRecord header = records.next();
        List<String> received = header.toList();
        if (!received.equals(expected)) {
            throw new ReportContentException("the report header does not match the configured columns: expected "
                    + expected + " but received " + shorten(received.toString()));
        }
        lastLine = parser.getCurrentLineNumber();
    }

    @Override
    public boolean hasNext() {
        try {
            if (records.hasNext()) {
                return true;
            }
        } catch (UncheckedIOException | IllegalStateException e) {
            throw cutOff(e, rows);
        }
        if (rows > 0 || body.count > 0) {
            if (body.last != '\n') {
                throw new ReportContentException("the report body was cut off: it ends in the middle of the row starting at line "
                        + (lastLine + 1) + ", after " + rows + " complete rows (no final line break)");
            }
        }
        return false;
    }

    @Override
    public ReportRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        CSVRecord record;
        try {
            record = records.next();
        } catch (UncheckedIOException | IllegalStateException e) {
            throw cutOff(e, rows);
        }
        long line = lastLine + 1;
        lastLine = parser.getCurrentLineNumber();
        // The parser hands out a final record even when the body stops mid-row: look one record ahead (commons-csv
        // reads it anyway) and refuse a last record that has no line break after it.
        boolean more;
        try {
            more = records.hasNext();
        } catch (UncheckedIOException | IllegalStateException e) {
            throw cutOff(e, rows + 1); // this record was complete: the body broke off in the next one
        }
        if (!more && body.last != '\n') {
            throw new ReportContentException("the report body was cut off: it ends in the middle of the row starting at line "
                    + line + ", after " + rows + " complete rows (no final line break)");
        }
        rows++;
        return new ReportRow(line, record.values());
    }

    private ReportContentException cutOff(RuntimeException e, long completeRows) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return new ReportContentException("the report body ended abruptly after " + completeRows + " complete rows (line "
                + lastLine + "): " + cause.getMessage(), e);
    }

    public long rows() {
        return rows;
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }

    private static boolean looksLikeHtml(PushbackInputStream in) throws IOException {
        byte[] peek = new byte[1];
        int n = in.read(peek);
        if (n <= 0) {
            return false;
        }
        in.unread(peek, 0, n);
        return peek[0] == '<';
    }

    /** The start of an HTML page as plain text, so the error says what the server said. */
    private static String textOf(InputStream in) throws IOException {
        String html = new String(in.readNBytes(16 * 1024), StandardCharsets.UTF_8);
        String text = html.replaceAll("(?is)<(script|style)[^>]*>.*?</\\1>", " ").replaceAll("<[^>]+>", " ")
                .replaceAll("&nbsp;", " ").replaceAll("\\s+", " ").trim();
        return shorten(text);
    }

    private static String shorten(String s) {
        return s.length() <= SNIPPET ? s : s.substring(0, SNIPPET) + "...";
    }

    private static void close(InputStream in) {
        try {
            if (in != null) {
                in.close();
            }
        } catch (IOException ignored) {
            // the body is abandoned anyway; the run fails with the real reason
        }
    }

    /** Remembers the last byte read, to tell a complete body (ends with a line break) from one cut off mid-row. */
    private static final class LastByteStream extends FilterInputStream {
        int last = -1;
        long count;

        LastByteStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                last = b;
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                last = b[off + n - 1];
                count += n;
            }
            return n;
        }
    }

    @Override
    public String toString() {
        return "ReportRows" + Arrays.asList(rows, lastLine);
    }

    private static String typeOf(String contentType) {
        return contentType == null ? "no Content-Type" : "Content-Type " + contentType;
    }
}
