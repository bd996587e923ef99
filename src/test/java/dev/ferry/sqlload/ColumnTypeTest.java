package dev.ferry.sqlload;

import org.junit.jupiter.api.Test;

import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ColumnTypeTest {

    /**
     * The digit-by-digit reading of the usual patterns must give exactly what the formatter gives, value or error:
     * month ends, leap years, hour 24, out-of-range fields, stray characters, spaces around.
     */
    @Test
    void theFastTimestampReadingAgreesWithTheFormatterOnEveryValue() {
        List<String> values = new ArrayList<>(List.of("2026-02-28 23:59:59", "2026-02-29 00:00:00", "2024-02-29 12:00:00",
                "2026-02-30 00:00:00", "2026-04-31 00:00:00", "2026-12-31 23:59:59", "2026-13-01 00:00:00",
                "2026-00-10 00:00:00", "2026-01-00 00:00:00", "2026-01-01 24:00:00", "2026-01-01 23:60:00",
                "2026-01-01 23:59:60", " 2026-01-01 01:02:03", "2026-01-01 01:02:03 ", "2026-01-01T01:02:03",
                "0000-01-01 00:00:00", "0001-01-01 00:00:00", "9999-12-31 23:59:59", "2026-1-01 00:00:00",
                "2026-01-01 00:00:0x", "+026-01-01 00:00:00", "2026/01/01 00:00:00", "2026-01-01 00:00", ""));
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            values.add(String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d", 1 + random.nextInt(3000),
                    random.nextInt(14), random.nextInt(33), random.nextInt(26), random.nextInt(62), random.nextInt(62)));
        }
        for (String zone : List.of("UTC", "Europe/Berlin")) {
            ColumnType type = ColumnType.parse("timestamp(yyyy-MM-dd HH:mm:ss, " + zone + ")");
            DateTimeFormatter formatter = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
            for (String v : values) {
                Object expected;
                try {
                    expected = LocalDateTime.parse(v.trim(), formatter).atZone(ZoneId.of(zone))
                            .withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime();
                } catch (RuntimeException e) {
                    expected = null;
                }
                if (expected == null) {
                    assertThatThrownBy(() -> type.convert(v)).as(v).isInstanceOf(ColumnType.ConversionException.class)
                            .hasMessage("'" + v + "' is not a timestamp of pattern yyyy-MM-dd HH:mm:ss");
                } else {
                    assertThat(convert(type, v)).as(v).isEqualTo(expected);
                }
            }
        }
        assertThat(convert(ColumnType.parse("timestamp(yyyy-MM-dd'T'HH:mm:ss, UTC)"), "2026-03-04T05:06:07"))
                .isEqualTo(LocalDateTime.of(2026, 3, 4, 5, 6, 7));
        assertThat(convert(ColumnType.parse("timestamp(dd.MM.yyyy HH:mm, Europe/Berlin)"), "04.03.2026 05:06"))
                .as("any other pattern: the formatter").isEqualTo(LocalDateTime.of(2026, 3, 4, 4, 6));
    }

    private static Object convert(ColumnType type, String value) {
        try {
            return type.convert(value);
        } catch (ColumnType.ConversionException e) {
            throw new AssertionError(value + ": " + e.getMessage(), e);
        }
    }
}
