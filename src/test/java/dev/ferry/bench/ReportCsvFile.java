package dev.ferry.bench;

import dev.ferry.embedded.report.TrackingReport;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Writes exactly the CSV the report server serves for a window (BOM, CRLF, quoted fields with line breaks), so the
 * databases' own bulk loaders can load the same bytes Ferry receives over HTTP (bench/report-to-sql.sh):
 * {@code ReportCsvFile FILE FROM TO ROWS_PER_HOUR PLANTS} (PLANTS comma-separated); prints the row count.
 */
public final class ReportCsvFile {

    private ReportCsvFile() {
    }

    public static void main(String[] args) throws Exception {
        List<String> plants = List.of(args[4].split(","));
        TrackingReport report = new TrackingReport(plants, Integer.parseInt(args[3]));
        System.out.println(report.writeCsv(Path.of(args[0]), LocalDateTime.parse(args[1]), LocalDateTime.parse(args[2]), plants));
    }
}
