package dev.ferry.snapshot;

import dev.ferry.opensearch.OpenSearchConnection;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A page answered 429 reaches the retry as throttled (opensearch-to-s3 counts it in ferry_throttled_total); a 503 not. */
class SnapshotReaderThrottleTest {

    @Test
    void aPageAnswered429IsRetryableAndThrottledA503OnlyRetryable() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/_search", exchange -> {
            byte[] body = "{\"error\":{\"type\":\"es_rejected_execution_exception\"},\"status\":429}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(calls.incrementAndGet() == 1 ? 429 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            SnapshotReader reader = new SnapshotReader(new OpenSearchConnection(
                    List.of("127.0.0.1:" + server.getAddress().getPort()), false, null, null), Duration.ofSeconds(5));
            List<SnapshotReader.OpenSearchReadException> failures = new ArrayList<>();
            HitCursor cursor = reader.cursor("pit-1", "1m", null, "_shard_doc", 0, 1, null, 10, (retry, failure) -> {
                failures.add(failure);
                return retry < 2; // one retry, then give up
            });
            assertThatThrownBy(cursor::next).isInstanceOf(SnapshotReader.OpenSearchReadException.class)
                    .hasMessageContaining("answered 503");
            assertThat(failures).extracting(SnapshotReader.OpenSearchReadException::retryable).containsExactly(true, true);
            assertThat(failures).extracting(SnapshotReader.OpenSearchReadException::throttled).containsExactly(true, false);
            assertThat(calls.get()).isEqualTo(2);
        } finally {
            server.stop(0);
        }
    }
}
