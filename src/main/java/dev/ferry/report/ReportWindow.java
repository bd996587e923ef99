package dev.ferry.report;

import java.time.LocalDateTime;

/** A half-open window {@code [from, to)} of whole hours, in the report's time zone. */
public record ReportWindow(LocalDateTime from, LocalDateTime to) {
    @Override
    public String toString() {
        return "[" + from + ", " + to + ")";
    }
}
