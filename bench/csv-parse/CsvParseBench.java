import dev.ferry.report.ReportRow;
import dev.ferry.report.ReportRows;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.dataformat.csv.CsvDataFormat;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * Parses the same report CSV with Ferry's ReportRows (commons-csv behind its checks) and with Camel's csv data format
 * (lazyLoad=true: an iterator of List<String>), alternating, and prints the minimum seconds of each.
 * Usage: java -cp <test classpath> bench/csv-parse/CsvParseBench.java FILE [ROUNDS]
 */
public class CsvParseBench {

    public static void main(String[] args) throws Exception {
        Path csv = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<String> header;
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            header = Arrays.asList(r.readLine().replace("\uFEFF", "").split(","));
        }
        double ferry = Double.MAX_VALUE, camel = Double.MAX_VALUE;
        long ferryRows = 0, camelRows = 0;
        try (CamelContext context = new DefaultCamelContext()) {
            context.start();
            for (int i = 0; i < rounds; i++) {
                long t0 = System.nanoTime();
                ferryRows = reportRows(csv, header);
                ferry = Math.min(ferry, (System.nanoTime() - t0) / 1e9);
                t0 = System.nanoTime();
                camelRows = camelCsv(context, csv);
                camel = Math.min(camel, (System.nanoTime() - t0) / 1e9);
                System.out.printf("round %d: ReportRows %d rows, camel-csv %d records%n", i + 1, ferryRows, camelRows);
            }
        }
        System.out.printf("ReportRows min %.2f s (%.0f rows/s); camel-csv lazyLoad min %.2f s (%.0f rows/s)%n",
                ferry, ferryRows / ferry, camel, camelRows / camel);
        try (CamelContext context = new DefaultCamelContext()) {
            context.start();
            List<String> h = List.of("A", "B");
            for (String[] c : new String[][] {
                    {"HTML error page served as 200", "<html><body>Login failed</body></html>\n"},
                    {"body cut off mid-row", "A,B\r\n1,2\r\n3,4"},
                    {"quoted field never closed", "A,B\r\n1,2\r\n3,\"x\r\n"},
                    {"row with a missing field (line 3)", "A,B\r\n1,2\r\n3\r\n"}}) {
                System.out.println("-- " + c[0]);
                System.out.println("   ReportRows: " + outcome(() -> {
                    StringBuilder out = new StringBuilder();
                    try (ReportRows rows = ReportRows.open(stream(c[1]), "text/csv", h, null)) {
                        while (rows.hasNext()) {
                            out.append(rows.next()).append("; ");
                        }
                    }
                    return out.toString();
                }));
                System.out.println("   camel-csv:  " + outcome(() -> {
                    CsvDataFormat format = new CsvDataFormat();
                    format.setLazyLoad(true);
                    format.setSkipHeaderRecord(true);
                    format.start();
                    StringBuilder out = new StringBuilder();
                    @SuppressWarnings("unchecked")
                    Iterator<List<String>> it = (Iterator<List<String>>) format.unmarshal(new DefaultExchange(context), stream(c[1]));
                    while (it.hasNext()) {
                        out.append(it.next()).append("; ");
                    }
                    return out.toString();
                }));
            }
        }
    }

    interface Attempt {
        String run() throws Exception;
    }

    static String outcome(Attempt a) {
        try {
            return "ok: " + a.run();
        } catch (Exception e) {
            return "error: " + e;
        }
    }

    static InputStream stream(String s) {
        return new java.io.ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    static long reportRows(Path csv, List<String> header) throws Exception {
        long n = 0, chars = 0;
        try (InputStream in = new BufferedInputStream(new FileInputStream(csv.toFile()), 64 * 1024);
             ReportRows rows = ReportRows.open(in, "text/csv", header, null)) {
            while (rows.hasNext()) {
                ReportRow row = rows.next();
                chars += row.values()[0].length() + row.line();
                n++;
            }
        }
        return chars > 0 ? n : -1;
    }

    @SuppressWarnings("unchecked")
    static long camelCsv(CamelContext context, Path csv) throws Exception {
        CsvDataFormat format = new CsvDataFormat();
        format.setLazyLoad(true);
        format.setSkipHeaderRecord(true);
        format.setIgnoreEmptyLines(false);
        format.start();
        long n = 0, chars = 0;
        Exchange exchange = new DefaultExchange(context);
        try (InputStream in = new BufferedInputStream(new FileInputStream(csv.toFile()), 64 * 1024)) {
            Iterator<List<String>> records = (Iterator<List<String>>) format.unmarshal(exchange, in);
            while (records.hasNext()) {
                chars += records.next().get(0).length();
                n++;
            }
            if (records instanceof AutoCloseable c) {
                c.close();
            }
        }
        format.stop();
        return chars > 0 ? n : -1;
    }
}
