package dev.ferry.sqlload;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The row hash is stored: rows loaded by an earlier Ferry must hash the same forever, or they would be inserted again.
 * These pin its bytes, independently of how {@link RowHasher} computes them.
 */
class RowHasherTest {

    private static final ColumnMapping MAPPING = ColumnMapping.parse("TrackingId = tracking_id : text(40) : required;"
            + " Plant = plant : text(10); Line = line_no : integer; PartNumber = part_number : text(20);"
            + " Quantity = quantity : integer; UnitWeightKg = unit_weight_kg : decimal(10,3);"
            + " ProducedAt = produced_at : timestamp(yyyy-MM-dd HH:mm:ss, UTC); Operator = operator_name : text(100);"
            + " QualityPassed = quality_passed : boolean; Notes = notes : text(2000)");

    @Test
    void aKnownRowHashesToItsKnownBytes() {
        // sha256("3:A-11:B1:74:PN-12:423:1.516:2026-03-04T05:06-1:4:true5:caf\u00c3\u00a9")[:16], computed with Python's hashlib
        Object[] row = {"A-1", "B", 7L, "PN-1", 42L, new BigDecimal("1.500"), LocalDateTime.of(2026, 3, 4, 5, 6), null,
                Boolean.TRUE, "caf\u00e9"};
        assertThat(HexFormat.of().formatHex(new RowHasher(MAPPING, List.of()).hash(row)))
                .isEqualTo("782ac37fd5498a328612f0f78f097cc1");
    }

    @Test
    void everyRowHashesAsTheLengthPrefixedNormalizedValuesDoAcrossThreads() throws Exception {
        RowHasher hasher = new RowHasher(MAPPING, List.of());
        RowHasher byKey = new RowHasher(MAPPING, List.of("TrackingId", "ProducedAt"));
        Random random = new Random(7);
        String[] texts = {"", "a", "ab", "\u00e9t\u00e9", "\u4e2d\u6587", "tab\tand\nline", "\ud83d\ude00 emoji", "x".repeat(700),
                "lone \ud83d high", "lone \ude00 low", "\ude00\ud83d reversed", "ends high \ud83d", "\u07ff\u0800\uffff\u0080"};
        Runnable check = () -> {
            for (int n = 0; n < 2000; n++) {
                Object[] row = {texts[random.nextInt(texts.length)], random.nextBoolean() ? null : "P",
                        random.nextBoolean() ? null : random.nextLong(), "PN", (long) random.nextInt(),
                        random.nextBoolean() ? null : new BigDecimal(random.nextInt(100_000)).movePointLeft(3),
                        LocalDateTime.of(2026, 1, 1, 0, 0).plusSeconds(random.nextInt(10_000_000)),
                        texts[random.nextInt(texts.length)], random.nextBoolean() ? null : random.nextBoolean(),
                        texts[random.nextInt(texts.length)]};
                assertThat(hasher.hash(row)).isEqualTo(reference(row, new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
                assertThat(byKey.hash(row)).isEqualTo(reference(row, new int[] {0, 6}));
            }
        };
        Thread other = new Thread(check);
        other.start();
        check.run();
        other.join();
    }

    /** The definition: SHA-256 over, per key column, "-1:" for no value or "<UTF-8 length>:<UTF-8>", first 16 bytes. */
    private static byte[] reference(Object[] row, int[] keys) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (int i : keys) {
                Object v = row[i];
                String text = v == null ? null : v instanceof BigDecimal d ? d.stripTrailingZeros().toPlainString() : v.toString();
                byte[] bytes = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
                sha.update((text == null ? "-1:" : bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha.update(bytes);
            }
            return Arrays.copyOf(sha.digest(), 16);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
