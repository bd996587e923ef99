package dev.ferry.report;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A report body that breaks off is refused with the number of rows that were complete and where it broke. */
class ReportRowsTest {

    private static ReportRows open(String body) {
        return ReportRows.open(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), "text/csv",
                List.of("a", "b"), null);
    }

    @Test
    void aBodyEndingInsideAQuotedFieldCountsTheRowsBeforeItAsComplete() {
        ReportRows rows = open("a,b\n1,2\n3,4\n5,\"never closed\n");
        assertThatThrownBy(() -> {
            while (rows.hasNext()) {
                rows.next();
            }
        }).isInstanceOf(ReportContentException.class).hasMessageContaining("ended abruptly after 2 complete rows (line 3)");
    }

    @Test
    void aCompleteBodyGivesEveryRowWithItsLine() {
        ReportRows rows = open("a,b\n1,2\n\"x\ny\",4\n");
        assertThat(rows.next().line()).isEqualTo(2);
        assertThat(rows.next().line()).isEqualTo(3);
        assertThat(rows.hasNext()).isFalse();
        assertThat(rows.rows()).isEqualTo(2);
    }
}
