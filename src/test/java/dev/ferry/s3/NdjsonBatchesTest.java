package dev.ferry.s3;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonBatchesTest {

    static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(plain);
        }
        return out.toByteArray();
    }

    static List<List<SourceLine>> all(NdjsonBatches batches) {
        List<List<SourceLine>> all = new ArrayList<>();
        batches.forEachRemaining(all::add);
        return all;
    }

    static String lines(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            sb.append("{\"n\":").append(i).append("}\n");
        }
        return sb.toString();
    }

    @Test
    void gzipIsDetectedByMagicBytesAndBatchesAreCutByCount() throws IOException {
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(gzip(lines(10).getBytes())), 4, 1 << 20, 1 << 20);
        List<List<SourceLine>> all = all(batches);
        assertThat(batches.compressed()).isTrue();
        assertThat(all).extracting(List::size).containsExactly(4, 4, 2);
        assertThat(all.get(2).get(1).number()).isEqualTo(10);
        assertThat(all.get(2).get(1).text()).isEqualTo("{\"n\":10}");
        assertThat(batches.linesRead()).isEqualTo(10);
        assertThat(batches.damage()).isNull();
    }

    @Test
    void plainTextBatchesAreCutByBytesAndABiggerLineGoesAlone() {
        String big = "{\"big\":\"" + "x".repeat(100) + "\"}";
        String text = "{\"a\":1}\n{\"b\":2}\n" + big + "\n{\"c\":3}";
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(text.getBytes()), 100, 20, 1 << 20);
        List<List<SourceLine>> all = all(batches);
        assertThat(batches.compressed()).isFalse();
        assertThat(all).extracting(List::size).containsExactly(2, 1, 1);
        assertThat(all.get(1).get(0).number()).isEqualTo(3);
        assertThat(all.get(2).get(0).text()).isEqualTo("{\"c\":3}"); // last line without a newline
    }

    @Test
    void blankLinesAreSkippedButKeepLineNumbersAndCrlfIsStripped() {
        String text = "{\"a\":1}\r\n\r\n   \n{\"b\":2}\r\n";
        List<SourceLine> lines = all(new NdjsonBatches(new ByteArrayInputStream(text.getBytes()), 10, 1000, 1000)).get(0);
        assertThat(lines).extracting(SourceLine::number).containsExactly(1L, 4L);
        assertThat(lines.get(1).text()).isEqualTo("{\"b\":2}");
    }

    @Test
    void anEmptyObjectHasNoBatches() throws IOException {
        assertThat(all(new NdjsonBatches(new ByteArrayInputStream(new byte[0]), 10, 1000, 1000))).isEmpty();
        NdjsonBatches emptyGzip = new NdjsonBatches(new ByteArrayInputStream(gzip(new byte[0])), 10, 1000, 1000);
        assertThat(all(emptyGzip)).isEmpty();
        assertThat(emptyGzip.damage()).isNull();
    }

    @Test
    void aCorruptGzipYieldsTheLinesBeforeTheDamageThenSaysWhere() throws IOException {
        byte[] good = gzip(lines(20_000).getBytes());
        byte[] corrupt = Arrays.copyOf(good, good.length / 2); // truncated mid-stream
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(corrupt), 1000, 1 << 20, 1 << 20);
        long lines = all(batches).stream().mapToLong(List::size).sum();
        assertThat(lines).isGreaterThan(1000).isLessThan(20_000).isEqualTo(batches.linesRead());
        assertThat(batches.damage()).startsWith("corrupt gzip after line " + lines);

        byte[] garbage = Arrays.copyOf(good, 64);
        for (int i = 12; i < garbage.length; i++) {
            garbage[i] = (byte) 0xA5;
        }
        NdjsonBatches broken = new NdjsonBatches(new ByteArrayInputStream(garbage), 10, 1000, 1000);
        assertThat(all(broken)).isEmpty();
        assertThat(broken.damage()).startsWith("corrupt gzip");
    }

    static byte[] zstd(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // as Ferry's dump writes them: with the frame's content checksum
        try (com.github.luben.zstd.ZstdOutputStream z = new com.github.luben.zstd.ZstdOutputStream(out, 1).setChecksum(true)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    /**
     * A dump's zstd parts (compression = zstd) are read like gzip: detected by their magic bytes, whatever the name; a
     * zstd stream cut short or corrupted is damage after the lines read, never a shorter object taken for whole.
     */
    @Test
    void zstdIsDetectedByMagicBytesAndACutOrCorruptStreamIsDamage() throws IOException {
        byte[] good = zstd(lines(20_000).getBytes());
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(good), good.length, 1000, 1 << 20, 1 << 20);
        List<List<SourceLine>> all = all(batches);
        assertThat(batches.compressed()).isTrue();
        assertThat(all.stream().mapToLong(List::size).sum()).isEqualTo(20_000);
        assertThat(all.get(19).get(999).text()).isEqualTo("{\"n\":20000}");
        assertThat(batches.damage()).isNull();

        byte[] cutShort = Arrays.copyOf(good, good.length / 2);
        NdjsonBatches truncated = new NdjsonBatches(new ByteArrayInputStream(cutShort), cutShort.length, 1000, 1 << 20, 1 << 20);
        long read = all(truncated).stream().mapToLong(List::size).sum();
        assertThat(read).isLessThan(20_000).isEqualTo(truncated.linesRead());
        assertThat(truncated.damage()).startsWith("corrupt zstd after line " + read);

        byte[] scrambled = good.clone();
        for (int i = good.length / 3; i < good.length / 3 + 64; i++) {
            scrambled[i] = (byte) (scrambled[i] ^ 0x5A);
        }
        NdjsonBatches corrupt = new NdjsonBatches(new ByteArrayInputStream(scrambled), good.length, 1000, 1 << 20, 1 << 20);
        long before = all(corrupt).stream().mapToLong(List::size).sum();
        assertThat(corrupt.damage()).startsWith("corrupt zstd after line " + before);
        assertThat(before).isLessThan(20_000);
    }

    /**
     * Damage in bytes delivered whole stays damage (no transport is involved here), and the reader says how far it got:
     * a gzip stream corrupted in its middle leaves most of the stored bytes unread; one cut short was read to its end.
     */
    @Test
    void aTrulyCorruptGzipIsStillUnreadableAndSaysHowManyStoredBytesWereLeftUnread() throws IOException {
        java.util.Random random = new java.util.Random(11);
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 40_000; i++) {
            text.append("{\"n\":").append(i).append(",\"r\":\"").append(Long.toHexString(random.nextLong())).append("\"}\n");
        }
        byte[] good = gzip(text.toString().getBytes());
        assertThat(good.length).isGreaterThan(500_000);

        byte[] scrambled = good.clone();
        int at = good.length / 5;
        for (int i = at; i < at + 4096; i++) {
            scrambled[i] = (byte) (scrambled[i] ^ 0x5A);
        }
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(scrambled), good.length, 1000, 1 << 20, 1 << 20);
        long lines = all(batches).stream().mapToLong(List::size).sum();
        assertThat(batches.damage()).startsWith("corrupt gzip after line " + lines);
        assertThat(lines).isPositive().isLessThan(40_000 / 3);
        assertThat(batches.objectSize()).isEqualTo(good.length);
        long unread = batches.objectSize() - batches.objectBytesConsumed();
        assertThat(unread).as("most of the object is never read: the decompressor stops at the damage")
                .isGreaterThan(good.length / 2L);

        byte[] cutShort = Arrays.copyOf(good, good.length / 2);
        NdjsonBatches truncated = new NdjsonBatches(new ByteArrayInputStream(cutShort), cutShort.length, 1000, 1 << 20, 1 << 20);
        all(truncated);
        assertThat(truncated.damage()).startsWith("corrupt gzip after line " + truncated.linesRead())
                .contains("Unexpected end of ZLIB input stream");
        assertThat(truncated.objectBytesConsumed()).isEqualTo(cutShort.length);
    }

    @Test
    void bytesThatAreNotTextEndTheObjectAsDamaged() {
        byte[] text = ("{\"a\":1}\n{\"b\":2}\n").getBytes();
        byte[] binary = new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, '\n'};
        byte[] both = new byte[text.length + binary.length];
        System.arraycopy(text, 0, both, 0, text.length);
        System.arraycopy(binary, 0, both, text.length, binary.length);
        NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(both), 10, 1000, 1000);
        assertThat(all(batches)).hasSize(1).first().asList().hasSize(2);
        assertThat(batches.damage()).isEqualTo("not UTF-8 text at line 3: NUL byte");
        assertThat(NdjsonBatches.utf8Problem("é ü".getBytes(StandardCharsets.UTF_8))).isNull();
        assertThat(NdjsonBatches.utf8Problem(new byte[] {'a', (byte) 0xC3})).isEqualTo("invalid UTF-8");
    }

    @Test
    void aLineOverTheLimitKeepsOnlyItsHeadAndItsFullLength() {
        String text = "{\"a\":1}\n{\"long\":\"" + "y".repeat(100_000) + "\"}\n{\"b\":2}\n";
        List<SourceLine> lines = all(new NdjsonBatches(new ByteArrayInputStream(text.getBytes()), 10, 1 << 20, 10_000))
                .get(0);
        assertThat(lines).hasSize(3);
        SourceLine longLine = lines.get(1);
        assertThat(longLine.truncated()).isTrue();
        assertThat(longLine.length()).isEqualTo(100_011);
        assertThat(longLine.bytes()).hasSize(NdjsonBatches.TRUNCATED_KEEP);
        assertThat(lines.get(2).text()).isEqualTo("{\"b\":2}");
    }

    /**
     * The reader scans eight bytes at a time and copies a line once when it lies inside one buffer: lines of every
     * length, with CRLF, multi-byte characters and blank lines, falling anywhere across the 64 KiB read boundaries
     * and read in short pieces, must come out exactly as a plain split gives them.
     */
    @Test
    void linesComeOutExactlyAsAPlainSplitWhereverTheyFallAgainstTheReadBuffer() throws IOException {
        java.util.Random random = new java.util.Random(20261121);
        StringBuilder text = new StringBuilder();
        List<String> expected = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();
        long number = 0;
        while (text.length() < 600_000) {
            number++;
            int kind = random.nextInt(10);
            if (kind == 0) {
                text.append(random.nextBoolean() ? "\n" : "  \r\n"); // blank: skipped, but numbered
                continue;
            }
            int length = kind == 1 ? 65_536 + random.nextInt(70_000) : random.nextInt(kind == 2 ? 20 : 900);
            StringBuilder line = new StringBuilder("{\"v\":\"");
            for (int i = 0; i < length; i++) {
                line.append(random.nextInt(40) == 0 ? '\u00e9' : (char) ('a' + random.nextInt(26)));
            }
            line.append("\"}");
            expected.add(line.toString());
            numbers.add(number);
            text.append(line).append(random.nextBoolean() ? "\r\n" : "\n");
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        java.io.InputStream trickle = new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + random.nextInt(70_000))); // short reads, like a network
            }
        };
        NdjsonBatches batches = new NdjsonBatches(trickle, 50, 1 << 22, 1 << 20);
        List<SourceLine> lines = all(batches).stream().flatMap(List::stream).toList();
        assertThat(batches.damage()).isNull();
        assertThat(lines).extracting(SourceLine::text).containsExactlyElementsOf(expected);
        assertThat(lines).extracting(SourceLine::number).containsExactlyElementsOf(numbers);
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).isEqualTo(l.bytes().length));
        assertThat(batches.bytesRead()).isEqualTo(bytes.length);
    }

    @Test
    void aNulByteIsFoundWhereverItFallsInTheEightByteWord() {
        for (int at = 0; at < 17; at++) {
            byte[] line = "{\"a\":\"0123456789abcdef\"}\n".getBytes(StandardCharsets.UTF_8);
            byte[] text = new byte[9 + line.length];
            System.arraycopy("{\"ok\":1}\n".getBytes(StandardCharsets.UTF_8), 0, text, 0, 9);
            System.arraycopy(line, 0, text, 9, line.length);
            text[9 + at] = 0;
            NdjsonBatches batches = new NdjsonBatches(new ByteArrayInputStream(text), 10, 1000, 1000);
            assertThat(all(batches)).as("NUL at %d", at).hasSize(1).first().asList().hasSize(1);
            assertThat(batches.damage()).isEqualTo("not UTF-8 text at line 2: NUL byte");
        }
    }
}
