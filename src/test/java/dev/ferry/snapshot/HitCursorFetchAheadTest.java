package dev.ferry.snapshot;

import dev.ferry.opensearch.OpenSearchConnection;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cursor fetches the next page while the current one is handed out, holds at most two pages, and a page fetched
 * ahead that broke off is fetched again from the last hit handed out. Against a real HTTP server that answers
 * {@code search_after} pages of 25 numbered documents, 10 per page, and records every request.
 */
class HitCursorFetchAheadTest {

    private static final int DOCS = 25;
    private static final int PAGE = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private SnapshotReader reader;
    private final List<String> searchAfters = new CopyOnWriteArrayList<>(); // of each request, "-" for none
    private final AtomicBoolean cutSecondPageOnce = new AtomicBoolean();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/_search", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody());
            int after = request.path("search_after").path(0).asInt(0);
            searchAfters.add(request.has("search_after") ? request.get("search_after").toString() : "-");
            byte[] body = page(after);
            if (after == PAGE && cutSecondPageOnce.compareAndSet(true, false)) {
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body, 0, body.length / 2); // then the connection is dropped
                exchange.getResponseBody().flush();
                exchange.close();
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        reader = new SnapshotReader(new OpenSearchConnection(
                List.of("127.0.0.1:" + server.getAddress().getPort()), false, null, null), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Documents after..after+PAGE (at most DOCS), with a "sort" field inside _source too, as a trap for the parse. */
    private static byte[] page(int after) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringBuilder s = new StringBuilder("{\"pit_id\":\"pit-" + after + "\",\"took\":1,\"timed_out\":false,"
                + "\"_shards\":{\"total\":1,\"successful\":1,\"skipped\":0,\"failed\":0},\"hits\":{\"hits\":[");
        for (int n = after + 1; n <= Math.min(after + PAGE, DOCS); n++) {
            s.append(n > after + 1 ? "," : "").append("{\"_index\":\"logs\",\"_id\":\"d").append(n)
                    .append("\",\"_score\":null,\"_source\":{\"n\":").append(n).append(".0,\"sort\":[0]},\"sort\":[")
                    .append(n).append("]}");
        }
        out.writeBytes(s.append("]}}").toString().getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private List<String> drain(HitCursor cursor) {
        List<String> lines = new ArrayList<>();
        while (cursor.next()) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            cursor.writeLine(line);
            lines.add(line.toString(StandardCharsets.UTF_8));
        }
        return lines;
    }

    private static List<String> expectedLines() {
        List<String> lines = new ArrayList<>();
        for (int n = 1; n <= DOCS; n++) {
            lines.add("{\"_index\":\"logs\",\"_id\":\"d" + n + "\",\"_source\":{\"n\":" + n + ".0,\"sort\":[0]}}\n");
        }
        return lines;
    }

    @Test
    void theNextPageIsAskedForWhileThisOneIsHandedOutAndNoFurther() throws Exception {
        HitCursor cursor = reader.cursor("pit-0", "1m", null, "_shard_doc", 0, 1, null, PAGE, (retry, failure) -> false);
        assertThat(cursor.next()).isTrue(); // the first hit of page 1
        assertThat(cursor.id()).isEqualTo("d1");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (searchAfters.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(searchAfters).as("page 2 asked for, after page 1's last hit, while page 1 is handed out")
                .containsExactly("-", "[10]");
        Thread.sleep(300);
        assertThat(searchAfters).as("no third page while the caller is still on page 1").hasSize(2);
        assertThat(new String(cursor.sort(), StandardCharsets.UTF_8)).isEqualTo("[1]");

        List<String> lines = new ArrayList<>();
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        cursor.writeLine(first);
        lines.add(first.toString(StandardCharsets.UTF_8));
        lines.addAll(drain(cursor));
        assertThat(lines).containsExactlyElementsOf(expectedLines());
        assertThat(searchAfters).containsExactly("-", "[10]", "[20]"); // page 3 is short: nothing asked after it
        assertThat(cursor.pitId()).isEqualTo("pit-20"); // the latest id the server sent
        cursor.close();
    }

    @Test
    void aPageFetchedAheadThatBrokeOffIsFetchedAgainFromTheLastHitHandedOut() {
        cutSecondPageOnce.set(true);
        List<SnapshotReader.OpenSearchReadException> failures = new ArrayList<>();
        HitCursor cursor = reader.cursor("pit-0", "1m", null, "_shard_doc", 0, 1, null, PAGE, (retry, failure) -> {
            failures.add(failure);
            return retry <= 1;
        });
        assertThat(drain(cursor)).containsExactlyElementsOf(expectedLines());
        assertThat(failures).hasSize(1);
        assertThat(failures.get(0).retryable()).isTrue();
        assertThat(failures.get(0).getMessage()).contains("reading a page of slice 0");
        assertThat(searchAfters).containsExactly("-", "[10]", "[10]", "[20]");
        cursor.close();
    }

    @Test
    void closingDropsThePageFetchedAhead() throws Exception {
        HitCursor cursor = reader.cursor("pit-0", "1m", null, "_shard_doc", 0, 1, null, PAGE, (retry, failure) -> false);
        assertThat(cursor.next()).isTrue();
        cursor.close();
        assertThat(cursor.next()).as("a closed cursor hands out nothing more").isFalse();
    }
}
