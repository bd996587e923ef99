package dev.ferry.report;

import org.junit.jupiter.api.Test;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import static org.assertj.core.api.Assertions.assertThat;

/** Retry-After as the report server may send it: seconds or an HTTP date. */
class ReportRequestPacerTest {

    @Test
    void retryAfterIsReadAsSecondsOrAsAnHttpDate() {
        long now = ZonedDateTime.of(2026, 11, 30, 12, 0, 0, 0, ZoneOffset.UTC).toInstant().toEpochMilli();
        assertThat(ReportRequestPacer.retryAfterMillis("120", now)).isEqualTo(120_000);
        assertThat(ReportRequestPacer.retryAfterMillis(" 0 ", now)).isZero();
        String inNinetySeconds = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.of(2026, 11, 30, 12, 1, 30, 0, ZoneOffset.UTC));
        assertThat(inNinetySeconds).isEqualTo("Mon, 30 Nov 2026 12:01:30 GMT");
        assertThat(ReportRequestPacer.retryAfterMillis(inNinetySeconds, now)).isEqualTo(90_000);
        assertThat(ReportRequestPacer.retryAfterMillis("Mon, 30 Nov 2026 11:00:00 GMT", now)).as("in the past").isZero();
        assertThat(ReportRequestPacer.retryAfterMillis("soon", now)).isZero();
        assertThat(ReportRequestPacer.retryAfterMillis(null, now)).isZero();
    }
}
