package dev.ferry.sqlload;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;

import static org.assertj.core.api.Assertions.assertThat;

class CopyTextTest {

    @Test
    void valuesAreWrittenInCopyTextFormatAndTheBufferGrowsAsNeeded() throws Exception {
        CopyText text = new CopyText(1); // grows from the smallest buffer
        text.escaped("plain");
        text.write('\t');
        text.escaped("a\\b\tc\nd\re \u00e9\u4e2d");
        text.write('\t');
        text.ascii("\\N");
        text.write('\t');
        text.timestamp(LocalDateTime.of(2026, 3, 4, 5, 6, 7));
        text.write('\t');
        text.timestamp(LocalDateTime.of(12026, 1, 1, 0, 0, 0, 120_000_000));
        text.write('\t');
        text.bytea(new byte[] {0x0a, (byte) 0xff});
        text.write('\t');
        text.escaped("x".repeat(500));
        text.write('\t');
        text.escaped("\ud83d\ude00\t\ud83d" + "\\" + "\u00e9\r"); // a pair, a lone surrogate (as '?', like getBytes), escapes
        text.write(new byte[] {'\n'});
        String expected = "plain\ta\\\\b\\tc\\nd\\re \u00e9\u4e2d\t\\N\t2026-03-04 05:06:07\t12026-01-01 00:00:00.120000000\t"
                + "\\\\x0aff\t" + "x".repeat(500) + "\t\ud83d\ude00\\t?" + "\\\\" + "\u00e9\\r\n";
        assertThat(new String(text.toByteArray(), StandardCharsets.UTF_8)).isEqualTo(expected);
        assertThat(text.size()).isEqualTo(expected.getBytes(StandardCharsets.UTF_8).length);
        assertThat(text.asInputStream().readAllBytes()).isEqualTo(text.toByteArray());
    }
}
