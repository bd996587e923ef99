package dev.ferry.records;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hand-read UTC timestamp form gives the JDK's instant, and leaves every other form to the JDK's parser. */
class DatePatternTest {

    @Test
    void utcTimestampsReadByHandAreTheJdksInstants() {
        for (String s : List.of("2026-03-15T10:00:00Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z",
                "1969-12-31T23:59:59.999Z", "2026-12-01T02:03:04.5Z", "2026-12-01T02:03:04.123456789Z",
                "0001-01-01T00:00:00Z", "2026-07-04t12:00:00z")) {
            assertThat(DatePattern.utcTimestamp(s)).as(s).isEqualTo(Instant.parse(s.toUpperCase()));
            assertThat(new DatePattern("iso", ZoneOffset.UTC).parse(s)).as(s).isEqualTo(Instant.parse(s.toUpperCase()));
        }
    }

    @Test
    void otherFormsAndImpossibleDatesAreLeftToTheJdk() {
        for (String s : List.of("2023-02-29T10:00:00Z", "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z",
                "2026-01-01T10:60:00Z", "2026-01-01T10:00Z", "2026-01-01T10:00:00.Z", "2026-01-01T10:00:00.1234567890Z",
                "2026-01-01 10:00:00Z", "+2026-01-01T10:00:00Z", "2026-0a-01T10:00:00Z")) {
            assertThat(DatePattern.utcTimestamp(s)).as(s).isNull();
        }
        assertThatThrownBy(() -> new DatePattern("iso", ZoneOffset.UTC).parse("2023-02-29T10:00:00Z"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2023-02-29T10:00:00Z");
    }
}
