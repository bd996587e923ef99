package dev.ferry.embedded.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.embedded.report.ReportServer.Defect;
import dev.ferry.embedded.report.ReportServer.RecordedRequest;
import dev.ferry.embedded.report.ReportServer.Response;
import dev.ferry.embedded.report.TrackingReport.Row;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Real HTTP against {@link ReportServer}; no mocks. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ReportServerTest {

    private static final LocalDateTime T0 = LocalDateTime.parse("2026-01-01T00:00:00");
    private static final String HEADER = "TrackingId,Plant,Line,PartNumber,Quantity,UnitWeightKg,ProducedAt,Operator,QualityPassed,Notes";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private ReportServer server;
    private CamelContext camel;

    @AfterEach
    void tearDown() throws Exception {
        if (camel != null) {
            camel.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private ReportServer start(ReportServer.Settings settings) {
        server = ReportServer.start(settings);
        return server;
    }

    private static ReportServer.Settings small() {
        return ReportServer.Settings.defaults().reportPath("/Manufacturing/Tracking")
                .plants(List.of("A", "B", "C", "D")).rowsPerHour(50);
    }

    // ------------------------------------------------------------------ NTLM through camel-http

    @Test
    void ntlmHandshakeWithCamelHttpSucceedsWithTheRightPasswordAndFailsWithAWrongOne() throws Exception {
        start(small().ntlm("CORP", "svc_ferry", "s3cret!"));
        camel = new DefaultCamelContext();
        camel.start();
        ProducerTemplate template = camel.createProducerTemplate();
        String query = server.renderQuery(T0, T0.plusHours(2), List.of("A", "B"));

        Exchange ok = template.request(camelUri("s3cret!"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(ok.getException()).isNull();
        assertThat(ok.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class)).isEqualTo(200);
        byte[] body = ok.getMessage().getBody(byte[].class);
        List<List<String>> records = parse(body);
        assertThat(String.join(",", records.get(0))).isEqualTo(HEADER);
        assertThat(records).hasSize(1 + 2 * 2 * 50);

        // the handshake: anonymous 401, Type1 -> 401 + challenge, Type3 -> 200
        List<RecordedRequest> all = server.requests();
        assertThat(all).extracting(RecordedRequest::status).containsExactly(401, 401, 200);
        assertThat(server.authenticatedRequests()).singleElement().satisfies(r -> {
            assertThat(r.user()).isEqualToIgnoringCase("CORP\\svc_ferry");
            assertThat(r.params("Plant")).containsExactly("A", "B");
            assertThat(r.from()).isEqualTo(T0);
        });
        assertThat(server.stats().failedLogins()).isZero();

        // again with the same client: still fine (re-handshake or an authenticated keep-alive connection)
        Exchange again = template.request(camelUri("s3cret!"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(again.getException()).isNull();
        assertThat(again.getMessage().getBody(byte[].class)).isEqualTo(body);
        assertThat(server.authenticatedRequests()).hasSize(2);

        Exchange bad = template.request(camelUri("wrong-password"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(bad.getException()).isInstanceOf(HttpOperationFailedException.class);
        assertThat(((HttpOperationFailedException) bad.getException()).getStatusCode()).isEqualTo(401);
        assertThat(server.stats().failedLogins()).isEqualTo(1);
        assertThat(server.authenticatedRequests()).hasSize(2);

        // a wrong user with the right password fails too
        Exchange badUser = template.request(camelUri("s3cret!").replace("svc_ferry", "someone_else"),
                e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(((HttpOperationFailedException) badUser.getException()).getStatusCode()).isEqualTo(401);
        assertThat(server.stats().failedLogins()).isEqualTo(2);
    }

    @Test
    void ntlmFailedLoginsLockTheAccountUntilUnlocked() throws Exception {
        start(small().ntlm("CORP", "svc_ferry", "s3cret!"));
        server.behaviour().lockAfterFailedLogins(2);
        camel = new DefaultCamelContext();
        camel.start();
        ProducerTemplate template = camel.createProducerTemplate();
        String query = server.renderQuery(T0, T0.plusHours(1), List.of("A"));
        for (int i = 0; i < 2; i++) {
            Exchange bad = template.request(camelUri("nope"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
            assertThat(((HttpOperationFailedException) bad.getException()).getStatusCode()).isEqualTo(401);
        }
        assertThat(server.stats().locked()).isTrue();
        assertThat(server.stats().lockouts()).isEqualTo(1);
        Exchange locked = template.request(camelUri("s3cret!"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(((HttpOperationFailedException) locked.getException()).getStatusCode()).isEqualTo(401);

        server.unlock();
        Exchange ok = template.request(camelUri("s3cret!"), e -> e.getIn().setHeader(Exchange.HTTP_QUERY, query));
        assertThat(ok.getException()).isNull();
        assertThat(parse(ok.getMessage().getBody(byte[].class))).hasSize(1 + 50);
    }

    @Test
    void ntlmV2KeyDerivationMatchesTheMsNlmpTestVector() {
        // MS-NLMP 4.2.4.1.1 NTOWFv2("Password", "User", "Domain")
        byte[] key = NtlmServer.hmacMd5(NtlmServer.md4("Password".getBytes(StandardCharsets.UTF_16LE)),
                "USERDomain".getBytes(StandardCharsets.UTF_16LE));
        assertThat(java.util.HexFormat.of().formatHex(key)).isEqualTo("0c868a403bfd7a93a3001ef22ef02e3f");
    }

    private String camelUri(String password) {
        return "http://127.0.0.1:" + server.port() + "/ReportServer?httpMethod=GET&authMethod=NTLM"
                + "&authUsername=svc_ferry&authPassword=RAW(" + password + ")&authDomain=CORP";
    }

    // ------------------------------------------------------------------ Basic

    @Test
    void basicAuthAcceptsTheRightCredentialsOnly() throws Exception {
        start(small().basic("svc_ferry", "p@ss:word"));
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A"));

        Resp anonymous = get(q);
        assertThat(anonymous.status).isEqualTo(401);
        assertThat(anonymous.headers.firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));
        assertThat(server.stats().failedLogins()).isZero();

        Resp ok = get(q, "Authorization", basic("svc_ferry", "p@ss:word"));
        assertThat(ok.status).isEqualTo(200);
        assertThat(parse(ok.body)).hasSize(51);

        Resp bad = get(q, "Authorization", basic("svc_ferry", "wrong"));
        assertThat(bad.status).isEqualTo(401);
        assertThat(server.stats().failedLogins()).isEqualTo(1);
        assertThat(server.authenticatedRequests()).singleElement().extracting(RecordedRequest::user).isEqualTo("svc_ferry");
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ CSV content

    @Test
    void csvBodyIsExactlyTheExpectedRows(@TempDir Path tmp) throws Exception {
        start(small().noAuth());
        LocalDateTime to = T0.plusHours(6);
        Resp r = get(server.renderQuery(T0, to, List.of("C", "A")));
        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.firstValue("Content-Type")).contains("text/csv; charset=utf-8");
        assertThat(r.headers.firstValue("Content-Disposition")).contains("attachment; filename=Tracking.csv");
        assertThat(r.headers.firstValue("Transfer-Encoding")).contains("chunked");
        assertThat(Arrays.copyOf(r.body, 3)).containsExactly(0xEF, 0xBB, 0xBF);
        String text = new String(r.body, 3, r.body.length - 3, StandardCharsets.UTF_8);
        assertThat(text).startsWith(HEADER + "\r\n").endsWith("\r\n");

        List<List<String>> records = parse(r.body);
        assertThat(records).hasSize(1 + 2 * 6 * 50);
        compare(records.subList(1, records.size()), server.expectedRows(T0, to, List.of("A", "C")));

        // the nasty values really occur and survive RFC 4180 quoting
        List<String> operators = records.stream().skip(1).map(rec -> rec.get(7)).distinct().toList();
        assertThat(operators).contains("Müller, Jörg", "O\"Brien");
        assertThat(records.stream().skip(1).map(rec -> rec.get(9))).contains("", "Line stopped 4 min\r\nrestarted by shift lead");
        assertThat(records.stream().skip(1).map(rec -> rec.get(8)).distinct()).containsExactlyInAnyOrder("True", "False");
        assertThat(records.get(1).get(0)).isEqualTo("A-2026010100-000000");
        assertThat(records.get(1).get(5)).matches("\\d+\\.\\d{3}");
        assertThat(records.stream().skip(1).map(rec -> rec.get(0)).distinct().count()).isEqualTo(600);
        assertThat(text).contains("\"O\"\"Brien\"");
        double avg = (double) r.body.length / 600;
        assertThat(avg).isBetween(90.0, 160.0);

        // the file written for bulk loaders is byte-identical
        Path file = tmp.resolve("tracking.csv");
        assertThat(server.writeCsv(file, T0, to, List.of("A", "C"))).isEqualTo(600);
        assertThat(Files.readAllBytes(file)).isEqualTo(r.body);
        assertThat(server.report().rowCount(T0, to, List.of("A", "C"))).isEqualTo(600);
    }

    @Test
    void overlappingWindowsYieldIdenticalRowsForTheOverlap() throws Exception {
        start(small().noAuth());
        List<List<String>> first = parse(get(server.renderQuery(T0, T0.plusHours(4), List.of())).body);
        List<List<String>> second = parse(get(server.renderQuery(T0.plusHours(2), T0.plusHours(6), List.of())).body);
        List<List<String>> odd = parse(get(server.renderQuery(T0.plusMinutes(150), T0.plusMinutes(195).plusSeconds(30), List.of("B"))).body);

        LocalDateTime lo = T0.plusHours(2);
        LocalDateTime hi = T0.plusHours(4);
        List<List<String>> overlap1 = within(first, lo, hi);
        List<List<String>> overlap2 = within(second, lo, hi);
        assertThat(overlap1).hasSize(2 * 4 * 50).isEqualTo(overlap2);

        // a window that is not hour-aligned holds exactly the rows whose ProducedAt falls inside it
        List<List<String>> expectedOdd = within(first, T0.plusMinutes(150), T0.plusMinutes(195).plusSeconds(30))
                .stream().filter(rec -> rec.get(1).equals("B")).toList();
        assertThat(odd.subList(1, odd.size())).isNotEmpty().isEqualTo(expectedOdd);
        assertThat(server.authenticatedRequests()).extracting(RecordedRequest::from)
                .containsExactly(T0, T0.plusHours(2), T0.plusMinutes(150));
    }

    private static List<List<String>> within(List<List<String>> records, LocalDateTime lo, LocalDateTime hi) {
        return records.stream().skip(1).filter(rec -> {
            LocalDateTime at = LocalDateTime.parse(rec.get(6).replace(' ', 'T'));
            return !at.isBefore(lo) && at.isBefore(hi);
        }).toList();
    }

    @Test
    void multiValuePlantFilterIsRespectedAndRecorded() throws Exception {
        start(small().noAuth());
        Resp r = get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=CSV&Plant=D&Plant=B"
                + "&From=2026-01-01T00:00:00&To=2026-01-01T03:00:00&rc:FieldDelimiter=,&rc:NoHeader=false");
        List<List<String>> records = parse(r.body);
        assertThat(records).hasSize(1 + 2 * 3 * 50);
        assertThat(records.stream().skip(1).map(rec -> rec.get(1)).distinct()).containsExactly("B", "D");
        RecordedRequest req = server.requests().get(0);
        assertThat(req.reportPath()).isEqualTo("/Manufacturing/Tracking");
        assertThat(req.params("Plant")).containsExactly("D", "B");
        assertThat(req.param("rc:FieldDelimiter")).isEqualTo(",");

        assertThat(parse(get(server.renderQuery(T0, T0.plusHours(1), List.of())).body)).hasSize(1 + 4 * 50);
        Resp unknown = get(server.renderQuery(T0, T0.plusHours(1), List.of("A", "Z")));
        assertThat(unknown.status).isEqualTo(400);
        assertThat(unknown.text()).contains("'Z'", "Plant");
    }

    @Test
    void requestsAreValidatedLikeSsrs() throws Exception {
        start(small().noAuth());
        String window = "&From=2026-01-01T00:00:00&To=2026-01-01T01:00:00";

        Resp encoded = get("%2fManufacturing%2fTracking&rs:Command=Render&rs:Format=CSV" + window);
        assertThat(encoded.status).isEqualTo(200);

        Resp missing = get("/Manufacturing/Nope&rs:Command=Render&rs:Format=CSV" + window);
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.headers.firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(missing.text()).contains("The item '/Manufacturing/Nope' cannot be found", "rsItemNotFound");

        assertThat(get("/Manufacturing/Tracking&rs:Format=CSV" + window)).satisfies(r -> {
            assertThat(r.status).isEqualTo(400);
            assertThat(r.text()).contains("rs:Command");
        });
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render" + window).text()).contains("rs:Format");
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=PDF" + window).text()).contains("rs:Format", "PDF");
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=CSV&To=2026-01-01T01:00:00")).satisfies(r -> {
            assertThat(r.status).isEqualTo(400);
            assertThat(r.text()).contains("'From'");
        });
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=CSV&From=yesterday&To=2026-01-01T01:00:00").text())
                .contains("yesterday", "From");
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=CSV&From=2026-01-01T01:00:00&To=2026-01-01T01:00:00"))
                .satisfies(r -> {
                    assertThat(r.status).isEqualTo(400);
                    assertThat(r.text()).contains("must be before");
                });
        assertThat(get("/Manufacturing/Tracking&rs:Command=Render&rs:Format=CSV&httpMethod=GET" + window).text())
                .contains("httpMethod", "rsUnknownReportParameter");
        assertThat(server.stats().csvResponses()).isEqualTo(1);
    }

    @Test
    void defectsAreInjectedAtTheConfiguredRows() throws Exception {
        start(small().noAuth());
        server.behaviour().defect(3, Defect.BAD_QUANTITY).defect(5, Defect.WRONG_COLUMN_COUNT)
                .defect(7, Defect.OVERLONG_NOTES).defect(8, Defect.BAD_DATE).defect(9, Defect.MISSING_TRACKING_ID);
        List<List<String>> records = parse(get(server.renderQuery(T0, T0.plusHours(1), List.of("A"))).body);
        List<List<String>> rows = records.subList(1, records.size());
        compare(rows, server.expectedRows(T0, T0.plusHours(1), List.of("A")));
        assertThat(rows.get(3).get(4)).endsWith("x");
        assertThat(rows.get(5)).hasSize(11);
        assertThat(rows.get(7).get(9)).hasSize(5000);
        assertThat(rows.get(8).get(6)).isEqualTo("2026-13-45 25:61:00");
        assertThat(rows.get(9).get(0)).isEmpty();
        assertThat(rows.stream().filter(rec -> rec.size() == 10)).hasSize(49);

        List<Row> expected = new ArrayList<>();
        server.expectedRows(T0, T0.plusHours(1), List.of("A")).forEachRemaining(expected::add);
        assertThat(expected).filteredOn(row -> row.defect() != null).extracting(Row::rowIndex).containsExactly(3L, 5L, 7L, 8L, 9L);
    }

    // ------------------------------------------------------------------ behaviours

    @Test
    void scriptedStatusesComeFirstThenNormalService() throws Exception {
        start(small().noAuth());
        server.enqueue(2, Response.serviceUnavailable(Duration.ofSeconds(3)));
        server.enqueue(Response.tooManyRequests(Duration.ofSeconds(7)), Response.status(500));
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A"));
        Resp a = get(q);
        Resp b = get(q);
        Resp c = get(q);
        Resp d = get(q);
        Resp e = get(q);
        assertThat(List.of(a.status, b.status, c.status, d.status, e.status)).containsExactly(503, 503, 429, 500, 200);
        assertThat(a.headers.firstValue("Retry-After")).contains("3");
        assertThat(c.headers.firstValue("Retry-After")).contains("7");
        assertThat(d.text()).contains("rsInternalError");
        assertThat(parse(e.body)).hasSize(51);
    }

    @Test
    void htmlErrorWithStatus200EmptyBodyAndRenamedHeader() throws Exception {
        start(small().noAuth());
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A"));
        server.enqueue(Response.htmlErrorWithStatus200(), Response.emptyBody(), Response.renamedHeaderColumn());

        Resp html = get(q);
        assertThat(html.status).isEqualTo(200);
        assertThat(html.headers.firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(html.text()).startsWith("<html>").contains("An error occurred during local report processing", "rsProcessingAborted");

        Resp empty = get(q);
        assertThat(empty.status).isEqualTo(200);
        assertThat(empty.headers.firstValue("Content-Type")).contains("text/csv; charset=utf-8");
        assertThat(empty.body).isEmpty();

        Resp renamed = get(q);
        List<List<String>> records = parse(renamed.body);
        assertThat(records.get(0)).contains("Qty").doesNotContain("Quantity");
        assertThat(records).hasSize(51);

        server.behaviour().always(Response.htmlErrorWithStatus200());
        assertThat(get(q).text()).contains("rsProcessingAborted");
        assertThat(get(q).text()).contains("rsProcessingAborted");
        server.behaviour().always(null);
        assertThat(parse(get(q).body)).hasSize(51);
    }

    @Test
    void bodyCutOffAbruptlyOrTruncatedMidRow() throws Exception {
        start(small().noAuth());
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A", "B"));
        server.enqueue(Response.cutOffAfterRows(10), Response.truncatedAfterRows(20));

        // abrupt: the chunked stream never terminates properly, the client gets an I/O error
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        HttpResponse<InputStream> resp = http.send(request(q).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> {
            try (InputStream in = resp.body()) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    received.write(buf, 0, n);
                }
            }
        }).isInstanceOf(IOException.class);
        String partial = new String(received.toByteArray(), StandardCharsets.UTF_8);
        assertThat(partial).contains("A-2026010100-000009").doesNotEndWith("\r\n");
        assertThat(partial).doesNotContain("A-2026010100-000011");

        // clean: a well-formed HTTP body that ends in the middle of row 21
        Resp truncated = get(q);
        assertThat(truncated.status).isEqualTo(200);
        String text = truncated.text();
        assertThat(text).contains("A-2026010100-000019").doesNotEndWith("\r\n");

        // and then the server is fine again
        assertThat(parse(get(q).body)).hasSize(101);
    }

    @Test
    void renderDelayHappensBeforeTheFirstByte() throws Exception {
        start(small().noAuth());
        server.behaviour().renderDelay(Duration.ofMillis(300));
        long t0 = System.nanoTime();
        Resp r = get(server.renderQuery(T0, T0.plusHours(1), List.of("A")));
        assertThat(r.status).isEqualTo(200);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    }

    @Test
    void tooManyRequestsLockTheAccountUntilUnlocked() throws Exception {
        start(small().basic("svc_ferry", "pw"));
        server.behaviour().lockAfterRequests(2, Duration.ofMinutes(1)).lockoutStatus(403);
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A"));
        String auth = basic("svc_ferry", "pw");
        assertThat(get(q, "Authorization", auth).status).isEqualTo(200);
        assertThat(get(q, "Authorization", auth).status).isEqualTo(200);
        assertThat(server.stats().lockouts()).isZero();
        assertThat(get(q, "Authorization", auth).status).isEqualTo(403);
        assertThat(server.isLocked()).isTrue();
        assertThat(get(q, "Authorization", auth).status).isEqualTo(403);
        assertThat(server.stats().lockouts()).isEqualTo(1);

        server.unlock();
        assertThat(get(q, "Authorization", auth).status).isEqualTo(200);
        assertThat(server.stats().locked()).isFalse();
    }

    @Test
    void inFlightCountsAreObservable() throws Exception {
        start(small().noAuth());
        String q = server.renderQuery(T0, T0.plusHours(1), List.of("A"));
        for (int i = 0; i < 20; i++) {
            assertThat(get(q).status).isEqualTo(200);
        }
        assertThat(server.stats().maxInFlight()).isEqualTo(1);
        assertThat(server.stats().inFlight()).isZero();

        server.behaviour().renderDelay(Duration.ofMillis(300));
        CompletableFuture<HttpResponse<byte[]>> a = http.sendAsync(request(q).build(), HttpResponse.BodyHandlers.ofByteArray());
        CompletableFuture<HttpResponse<byte[]>> b = http.sendAsync(request(q).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(a.get().statusCode()).isEqualTo(200);
        assertThat(b.get().statusCode()).isEqualTo(200);
        assertThat(server.stats().maxInFlight()).isEqualTo(2);
        assertThat(server.stats().totalRequests()).isEqualTo(22);
    }

    // ------------------------------------------------------------------ streaming

    @Test
    void streamsAMillionRowsWithConstantMemory() throws Exception {
        start(ReportServer.Settings.defaults().plants(List.of("A", "B", "C", "D")).rowsPerHour(250_000).noAuth());
        long t0 = System.nanoTime();
        HttpResponse<InputStream> resp = http.send(request(server.renderQuery(T0, T0.plusHours(1), List.of())).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        long bytes = 0;
        long lf = 0;
        try (InputStream in = resp.body()) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) >= 0; ) {
                bytes += n;
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lf++;
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        ReportServer.Stats stats = server.stats();
        System.out.printf("1M rows: %,d bytes in %.2f s = %.0f MB/s over HTTP; server thread allocated %,d bytes%n",
                bytes, seconds, bytes / 1e6 / seconds, stats.lastRenderAllocatedBytes());
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(stats.rowsServed()).isEqualTo(1_000_000);
        assertThat(stats.bytesServed()).isEqualTo(bytes);
        assertThat(bytes).isBetween(90_000_000L, 160_000_000L);
        assertThat(lf).isGreaterThan(1_000_000); // rows plus the line breaks inside Notes
        // constant memory: generating 100+ MB allocated only a small, bounded amount on the server thread
        if (stats.lastRenderAllocatedBytes() >= 0) {
            assertThat(stats.lastRenderAllocatedBytes()).isLessThan(16L << 20);
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Resp(int status, HttpHeaders headers, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private HttpRequest.Builder request(String query) {
        return HttpRequest.newBuilder(URI.create(server.baseUrl() + "?" + query.replace(" ", "%20"))).GET();
    }

    private Resp get(String query, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(query);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Resp(r.statusCode(), r.headers(), r.body());
    }

    /** Parses a served CSV body (asserting the BOM) into records, header first. */
    private static List<List<String>> parse(byte[] body) throws IOException {
        assertThat(body.length).isGreaterThanOrEqualTo(3);
        assertThat(Arrays.copyOf(body, 3)).containsExactly(0xEF, 0xBB, 0xBF);
        List<List<String>> out = new ArrayList<>();
        try (Reader reader = new InputStreamReader(new java.io.ByteArrayInputStream(body, 3, body.length - 3), StandardCharsets.UTF_8);
             CSVParser parser = CSVFormat.RFC4180.parse(reader)) {
            for (CSVRecord rec : parser) {
                out.add(rec.toList());
            }
        }
        return out;
    }

    private static void compare(List<List<String>> records, Iterator<Row> expected) {
        int i = 0;
        for (List<String> rec : records) {
            assertThat(expected.hasNext()).as("more rows served than expected at %d", i).isTrue();
            Row row = expected.next();
            assertThat(rec).as("row %d", i).isEqualTo(row.values());
            assertThat(row.rowIndex()).isEqualTo(i);
            i++;
        }
        assertThat(expected.hasNext()).as("fewer rows served than expected").isFalse();
    }

}
