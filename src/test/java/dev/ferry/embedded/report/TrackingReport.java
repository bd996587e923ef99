package dev.ferry.embedded.report;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The deterministic "manufacturing tracking" report served by {@link ReportServer}.
 *
 * <p>Every row is a pure function of (plant, hour, index within the hour), so a window always
 * yields the same rows and overlapping windows yield identical rows for their overlap.
 *
 * <p>Row order of a response: hour by hour (ascending), within an hour plant by plant in the
 * <em>configured</em> order (restricted to the requested plants), within a plant by index.
 * Row {@code i} of hour {@code h} is produced at {@code h + floor(i * 3600 / rowsPerHour)} seconds;
 * a row belongs to the window {@code [from, to)} iff its ProducedAt does, so an hour-aligned
 * window has exactly {@code hours * plants * rowsPerHour} rows.
 *
 * <p>The fast path ({@link #write}) writes bytes straight into a reusable buffer; the slow path
 * ({@link #rows}) builds {@link Row} objects from the same primitive values. Rows carrying a
 * {@link ReportServer.Defect} are always written through the slow path.
 */
public final class TrackingReport {

    /** The header row, exactly as served. */
    public static final List<String> COLUMNS = List.of(
            "TrackingId", "Plant", "Line", "PartNumber", "Quantity", "UnitWeightKg",
            "ProducedAt", "Operator", "QualityPassed", "Notes");

    static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final Pattern PLANT_NAME = Pattern.compile("[A-Za-z0-9_]{1,20}");

    private static final String[] OPERATORS = {
        "Smith, Anna", "Müller, Jörg", "O\"Brien", "Nguyen Van An", "García López, María",
        "Kowalski", "Łukasz Nowak", "Dubois, Élodie", "Svensson", "Yılmaz, Ayşe",
        "Rossi", "Van der Berg, \"Piet\"", "Okafor", "Tanaka 田中", "Schmidt", "Murphy"
    };
    private static final String[] NOTES = {
        "", "", "",
        "Operator reported minor vibration on spindle 2; maintenance informed",
        "Visual inspection OK",
        "Reworked after torque check, re-tested",
        "Batch split: see \"QA-7\" ticket",
        "Line stopped 4 min\r\nrestarted by shift lead",
        "Scratch on housing; cosmetic only, accepted by QA",
        "Material lot changed mid-run, supplier certificate attached to batch record",
        "Sensor recalibrated before start of batch",
        "Température élevée, contrôle supplémentaire"
    };
    private static final byte[][] OPERATOR_CSV = csvBytes(OPERATORS);
    private static final byte[][] NOTES_CSV = csvBytes(NOTES);
    private static final String OVERLONG_NOTE;

    static {
        StringBuilder sb = new StringBuilder(5000);
        while (sb.length() < 5000) {
            sb.append("Overlong note ").append(sb.length()).append(". ");
        }
        sb.setLength(5000);
        OVERLONG_NOTE = sb.toString();
    }

    private final List<String> allPlants;
    private final int rowsPerHour;
    private final int indexWidth;

    public TrackingReport(List<String> allPlants, int rowsPerHour) {
        if (rowsPerHour < 1) {
            throw new IllegalArgumentException("rowsPerHour must be >= 1");
        }
        if (allPlants.isEmpty() || allPlants.size() != allPlants.stream().distinct().count()) {
            throw new IllegalArgumentException("plants must be a non-empty list without duplicates");
        }
        for (String p : allPlants) {
            if (!PLANT_NAME.matcher(p).matches()) {
                throw new IllegalArgumentException("plant name must match " + PLANT_NAME + ": " + p);
            }
        }
        this.allPlants = List.copyOf(allPlants);
        this.rowsPerHour = rowsPerHour;
        this.indexWidth = Math.max(6, Integer.toString(rowsPerHour - 1).length());
    }

    public List<String> allPlants() {
        return allPlants;
    }

    public int rowsPerHour() {
        return rowsPerHour;
    }

    /**
     * The plants a request covers, in configured order. An empty/null request means all plants.
     *
     * @throws IllegalArgumentException naming the first unknown plant
     */
    public List<String> normalizePlants(Collection<String> requested) {
        if (requested == null || requested.isEmpty()) {
            return allPlants;
        }
        for (String r : requested) {
            if (!allPlants.contains(r)) {
                throw new IllegalArgumentException(r);
            }
        }
        List<String> out = new ArrayList<>();
        for (String p : allPlants) {
            if (requested.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Number of rows in a response for this window (no defects change the count). */
    public long rowCount(LocalDateTime from, LocalDateTime to, Collection<String> plants) {
        List<String> ps = normalizePlants(plants);
        long n = 0;
        for (LocalDateTime hour = from.truncatedTo(ChronoUnit.HOURS); hour.isBefore(to); hour = hour.plusHours(1)) {
            int first = firstIndex(hour, from);
            int end = endIndex(hour, to);
            if (end > first) {
                n += (long) (end - first) * ps.size();
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- value derivation (shared)

    /** Mutable holder of one row's primitive values; both paths derive from it. */
    private static final class Fields {
        int line;
        int part;
        int quantity;
        int weightMilli;
        int operator;
        boolean quality;
        int note;
        int secondOfHour;

        void compute(long plantHourSeed, int index, int rowsPerHour) {
            long h = mix(plantHourSeed + index * 0x9E3779B97F4A7C15L);
            line = 1 + (int) (h & 7);
            part = (int) ((h >>> 3) % 100_000);
            quantity = 1 + (int) ((h >>> 20) % 500);
            weightMilli = 100 + (int) ((h >>> 29) % 50_000);
            operator = (int) ((h >>> 45) % OPERATORS.length);
            quality = ((h >>> 50) % 20) != 0;
            note = (int) ((h >>> 55) % NOTES.length);
            secondOfHour = (int) ((long) index * 3600 / rowsPerHour);
        }
    }

    private static long plantHourSeed(String plant, LocalDateTime hour) {
        long epochHour = hour.toEpochSecond(ZoneOffset.UTC) / 3600;
        return mix(plant.hashCode() * 0xC2B2AE3D27D4EB4FL ^ mix(epochHour));
    }

    private static long mix(long z) { // splitmix64 finalizer
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** First index of the hour whose ProducedAt is >= from. */
    private int firstIndex(LocalDateTime hour, LocalDateTime from) {
        if (!from.isAfter(hour)) {
            return 0;
        }
        long nanos = ChronoUnit.NANOS.between(hour, from);
        long sec = (nanos + 999_999_999L) / 1_000_000_000L; // ceil: first whole second >= from
        if (sec >= 3600) {
            return rowsPerHour;
        }
        // smallest i with floor(i*3600/R) >= sec  <=>  i >= ceil(sec*R/3600)
        return (int) ((sec * rowsPerHour + 3599) / 3600);
    }

    /** End index (exclusive) of the hour whose ProducedAt is < to. */
    private int endIndex(LocalDateTime hour, LocalDateTime to) {
        LocalDateTime next = hour.plusHours(1);
        if (!to.isBefore(next)) {
            return rowsPerHour;
        }
        long nanos = ChronoUnit.NANOS.between(hour, to);
        long sec = (nanos + 999_999_999L) / 1_000_000_000L; // rows with second < ceil(to) are < to
        return (int) ((sec * rowsPerHour + 3599) / 3600);
    }

    // ---------------------------------------------------------------- slow path: Row objects

    /** One served row: its position, identity and the exact string values served. */
    public record Row(long rowIndex, String plant, LocalDateTime hour, int indexInHour,
                      List<String> values, ReportServer.Defect defect) {
        /** Value of a column by header name (as served; null if the row is too short). */
        public String get(String column) {
            int i = COLUMNS.indexOf(column);
            if (i < 0) {
                throw new IllegalArgumentException("no column " + column);
            }
            return i < values.size() ? values.get(i) : null;
        }

        public String trackingId() {
            return get("TrackingId");
        }

        /** Column name to value, in header order (extra values of a WRONG_COLUMN_COUNT row are dropped). */
        public Map<String, String> asMap() {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < COLUMNS.size() && i < values.size(); i++) {
                m.put(COLUMNS.get(i), values.get(i));
            }
            return m;
        }
    }

    /**
     * The rows a request yields, lazily (constant memory).
     *
     * @param defects row index within the response -> defect; may be empty
     */
    public Iterator<Row> rows(LocalDateTime from, LocalDateTime to, Collection<String> plants,
                              Map<Long, ReportServer.Defect> defects) {
        List<String> ps = normalizePlants(plants);
        Map<Long, ReportServer.Defect> d = defects == null ? Map.of() : Map.copyOf(defects);
        return new Iterator<>() {
            LocalDateTime hour = from.truncatedTo(ChronoUnit.HOURS);
            int plantIdx = 0;
            boolean started;
            int index;
            int end;
            long rowIndex;
            long seed;
            final Fields f = new Fields();
            Row next = advance();

            private Row advance() {
                while (true) {
                    if (index < end) {
                        int i = index++;
                        f.compute(seed, i, rowsPerHour);
                        long ri = rowIndex++;
                        return toRow(ri, ps.get(plantIdx), hour, i, f, d.get(ri));
                    }
                    if (started) { // next (hour, plant) block
                        plantIdx++;
                        if (plantIdx >= ps.size()) {
                            plantIdx = 0;
                            hour = hour.plusHours(1);
                        }
                    }
                    started = true;
                    if (!hour.isBefore(to)) {
                        return null;
                    }
                    index = firstIndex(hour, from);
                    end = endIndex(hour, to);
                    seed = plantHourSeed(ps.get(plantIdx), hour);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Row next() {
                if (next == null) {
                    throw new NoSuchElementException();
                }
                Row r = next;
                next = advance();
                return r;
            }
        };
    }

    private Row toRow(long rowIndex, String plant, LocalDateTime hour, int index, Fields f,
                      ReportServer.Defect defect) {
        List<String> v = new ArrayList<>(11);
        v.add(trackingId(plant, hour, index));
        v.add(plant);
        v.add(Integer.toString(f.line));
        v.add(partNumber(f.part));
        v.add(Integer.toString(f.quantity));
        v.add(weight(f.weightMilli));
        v.add(producedAt(hour, f.secondOfHour));
        v.add(OPERATORS[f.operator]);
        v.add(f.quality ? "True" : "False");
        v.add(NOTES[f.note]);
        if (defect != null) {
            switch (defect) {
                case WRONG_COLUMN_COUNT -> v.add("UNEXPECTED");
                case BAD_QUANTITY -> v.set(4, f.quantity + "x");
                case BAD_DATE -> v.set(6, hour.getYear() + "-13-45 25:61:00");
                case OVERLONG_NOTES -> v.set(9, OVERLONG_NOTE);
                case MISSING_TRACKING_ID -> v.set(0, "");
                default -> throw new IllegalStateException(defect.toString());
            }
        }
        return new Row(rowIndex, plant, hour, index, Collections.unmodifiableList(v), defect);
    }

    private String trackingId(String plant, LocalDateTime hour, int index) {
        String idx = Integer.toString(index);
        return plant + "-" + hourKey(hour) + "-" + "0".repeat(Math.max(0, indexWidth - idx.length())) + idx;
    }

    private static String hourKey(LocalDateTime hour) {
        return String.format("%04d%02d%02d%02d", hour.getYear(), hour.getMonthValue(), hour.getDayOfMonth(), hour.getHour());
    }

    private static String partNumber(int part) {
        String s = Integer.toString(part);
        return "PN-" + "0".repeat(5 - s.length()) + s;
    }

    private static String weight(int milli) {
        String frac = Integer.toString(milli % 1000);
        return (milli / 1000) + "." + "0".repeat(3 - frac.length()) + frac;
    }

    private static String producedAt(LocalDateTime hour, int secondOfHour) {
        return String.format("%04d-%02d-%02d %02d:%02d:%02d", hour.getYear(), hour.getMonthValue(),
                hour.getDayOfMonth(), hour.getHour(), secondOfHour / 60, secondOfHour % 60);
    }

    // ---------------------------------------------------------------- CSV encoding

    /** RFC 4180: quote if the value contains comma, quote, CR or LF; double embedded quotes. */
    public static String csvField(String v) {
        boolean quote = false;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == ',' || c == '"' || c == '\r' || c == '\n') {
                quote = true;
                break;
            }
        }
        return quote ? '"' + v.replace("\"", "\"\"") + '"' : v;
    }

    /** One CSV record (with CRLF) for the given values. */
    public static String csvLine(List<String> values) {
        StringBuilder sb = new StringBuilder(160);
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(csvField(values.get(i)));
        }
        return sb.append("\r\n").toString();
    }

    private static byte[][] csvBytes(String[] values) {
        byte[][] out = new byte[values.length][];
        for (int i = 0; i < values.length; i++) {
            out[i] = csvField(values[i]).getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }

    // ---------------------------------------------------------------- fast path: bytes

    /** How a response deviates from a clean render (used by {@link ReportServer}). */
    record Shape(boolean renamedHeaderColumn, long cutOffAfterRows) {
        static final Shape NORMAL = new Shape(false, -1);
    }

    /** Signals that the body was cut off on purpose after {@code rowsWritten} rows. */
    static final class CutOff extends IOException {
        CutOff(long rows) {
            super("body cut off on purpose after " + rows + " rows");
        }
    }

    /** Progress callback target (rows/bytes written), may be null. */
    interface Progress {
        void written(long rows, long bytes);
    }

    /**
     * Writes BOM, header and the rows of a request to {@code out} (not closed). Constant memory.
     *
     * @return number of data rows written
     * @throws CutOff after flushing half a row, when {@code shape.cutOffAfterRows() >= 0}
     */
    long write(OutputStream out, LocalDateTime from, LocalDateTime to, Collection<String> plants,
               Map<Long, ReportServer.Defect> defects, Shape shape, Progress progress) throws IOException {
        List<String> ps = normalizePlants(plants);
        Map<Long, ReportServer.Defect> d = defects == null ? Map.of() : defects;
        Sink s = new Sink(out);
        s.put(BOM);
        List<String> header = COLUMNS;
        if (shape.renamedHeaderColumn()) {
            header = new ArrayList<>(COLUMNS);
            header.set(4, "Qty");
        }
        s.put(csvLine(header).getBytes(StandardCharsets.UTF_8));
        long rowIndex = 0;
        Fields f = new Fields();
        byte[] idBuf = new byte[64];
        byte[] atBuf = new byte[20];
        for (LocalDateTime hour = from.truncatedTo(ChronoUnit.HOURS); hour.isBefore(to); hour = hour.plusHours(1)) {
            int first = firstIndex(hour, from);
            int end = endIndex(hour, to);
            byte[] key = hourKey(hour).getBytes(StandardCharsets.US_ASCII);
            byte[] atPrefix = producedAt(hour, 0).substring(0, 14).getBytes(StandardCharsets.US_ASCII); // "yyyy-MM-dd HH:"
            for (String plant : ps) {
                long seed = plantHourSeed(plant, hour);
                byte[] plantBytes = plant.getBytes(StandardCharsets.US_ASCII);
                // TrackingId prefix "P-yyyyMMddHH-"
                int idPrefix = 0;
                System.arraycopy(plantBytes, 0, idBuf, 0, plantBytes.length);
                idPrefix += plantBytes.length;
                idBuf[idPrefix++] = '-';
                System.arraycopy(key, 0, idBuf, idPrefix, key.length);
                idPrefix += key.length;
                idBuf[idPrefix++] = '-';
                System.arraycopy(atPrefix, 0, atBuf, 0, 14);
                for (int i = first; i < end; i++) {
                    if (rowIndex == shape.cutOffAfterRows()) {
                        f.compute(seed, i, rowsPerHour);
                        byte[] row = csvLine(toRow(rowIndex, plant, hour, i, f, null).values()).getBytes(StandardCharsets.UTF_8);
                        s.put(row, 0, row.length / 2);
                        s.flush();
                        throw new CutOff(rowIndex);
                    }
                    f.compute(seed, i, rowsPerHour);
                    ReportServer.Defect defect = d.isEmpty() ? null : d.get(rowIndex);
                    if (defect != null) {
                        s.put(csvLine(toRow(rowIndex, plant, hour, i, f, defect).values()).getBytes(StandardCharsets.UTF_8));
                    } else {
                        s.ensure(256);
                        // TrackingId
                        s.put(idBuf, 0, idPrefix);
                        s.padded(i, indexWidth);
                        s.ascii(',');
                        s.put(plantBytes);
                        s.ascii(',');
                        s.ascii((char) ('0' + f.line));
                        s.put(PN);
                        s.padded(f.part, 5);
                        s.ascii(',');
                        s.number(f.quantity);
                        s.ascii(',');
                        s.number(f.weightMilli / 1000);
                        s.ascii('.');
                        s.padded(f.weightMilli % 1000, 3);
                        s.ascii(',');
                        s.put(atBuf, 0, 14);
                        s.padded(f.secondOfHour / 60, 2);
                        s.ascii(':');
                        s.padded(f.secondOfHour % 60, 2);
                        s.ascii(',');
                        s.put(OPERATOR_CSV[f.operator]);
                        s.put(f.quality ? TRUE : FALSE);
                        s.put(NOTES_CSV[f.note]);
                        s.ascii('\r');
                        s.ascii('\n');
                    }
                    rowIndex++;
                    if (progress != null && (rowIndex & 0x3FFF) == 0) {
                        progress.written(rowIndex, s.total());
                    }
                }
            }
        }
        if (rowIndex == shape.cutOffAfterRows()) { // cut-off at/after the end: cut into the last line break
            s.flush();
            throw new CutOff(rowIndex);
        }
        s.flush();
        if (progress != null) {
            progress.written(rowIndex, s.total());
        }
        return rowIndex;
    }

    private static final byte[] PN = ",PN-".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = ",True,".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = ",False,".getBytes(StandardCharsets.US_ASCII);

    /** Writes exactly the CSV the server serves for this window (no defects) to a file. */
    public long writeCsv(Path file, LocalDateTime from, LocalDateTime to, Collection<String> plants) throws IOException {
        return writeCsv(file, from, to, plants, Map.of());
    }

    /** Writes exactly the CSV the server serves for this window and these defects to a file. */
    public long writeCsv(Path file, LocalDateTime from, LocalDateTime to, Collection<String> plants,
                         Map<Long, ReportServer.Defect> defects) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            return write(out, from, to, plants, defects, Shape.NORMAL, null);
        }
    }

    /** Byte buffer writer: no per-row allocation, large writes to the underlying stream. */
    private static final class Sink {
        private final OutputStream out;
        private final byte[] buf = new byte[1 << 16];
        private int pos;
        private long flushed;

        Sink(OutputStream out) {
            this.out = Objects.requireNonNull(out);
        }

        long total() {
            return flushed + pos;
        }

        void ensure(int n) throws IOException {
            if (pos + n > buf.length) {
                flush();
            }
        }

        void ascii(char c) {
            buf[pos++] = (byte) c;
        }

        void put(byte[] b) throws IOException {
            put(b, 0, b.length);
        }

        void put(byte[] b, int off, int len) throws IOException {
            if (len > buf.length - pos) {
                flush();
                if (len > buf.length) {
                    out.write(b, off, len);
                    flushed += len;
                    return;
                }
            }
            System.arraycopy(b, off, buf, pos, len);
            pos += len;
        }

        /** Non-negative int, zero-padded to at least {@code width} digits. */
        void padded(int v, int width) {
            int digits = v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10_000 ? 4 : v < 100_000 ? 5
                    : v < 1_000_000 ? 6 : v < 10_000_000 ? 7 : v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10;
            for (int i = digits; i < width; i++) {
                buf[pos++] = '0';
            }
            int end = pos + digits;
            for (int p = end - 1; p >= pos; p--) {
                buf[p] = (byte) ('0' + v % 10);
                v /= 10;
            }
            pos = end;
        }

        void number(int v) {
            padded(v, 1);
        }

        void flush() throws IOException {
            if (pos > 0) {
                out.write(buf, 0, pos);
                flushed += pos;
                pos = 0;
            }
            out.flush();
        }
    }
}
