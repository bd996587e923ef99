package dev.ferry.snapshot;

import dev.ferry.opensearch.OpenSearchConnection;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * Reads a consistent snapshot of an index (alias, pattern) through OpenSearch's point in time: opens and closes the
 * PIT, counts what it holds, and hands out {@link HitCursor}s that page through it with {@code search_after}.
 * <p>
 * It speaks plain HTTP with the JDK client rather than the opensearch-java/RestClient stack: the RestClient buffers
 * each whole response in heap before handing it over, and the typed client rebuilds every {@code _source} as a map
 * (so {@code 95.0} would come back as {@code 95}). Here the response body is a stream that the cursor parses as it
 * arrives, copying each {@code _source} out as the exact bytes the server sent.
 * <p>
 * Every configured host is used: requests go to the host that answered last, and a request that cannot connect
 * (refused, connect timeout, unknown host) moves on to the next host. Only then, because the request never reached
 * a server; a point in time belongs to the cluster, so any node continues it. A request that fails after it was
 * sent is not repeated here: it fails with an {@link OpenSearchReadException} that names the host and the cause and
 * says whether a later request may succeed ({@link OpenSearchReadException#retryable()}); {@link HitCursor} fetches
 * a page again on those.
 */
public final class SnapshotReader {

    /** What a failure says when the point in time behind it no longer exists. */
    static final String POINT_IN_TIME_GONE = "the point in time is gone (expired after its keep-alive, or released)";

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotReader.class);
    static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

    private final List<URI> hosts;
    private volatile int current;
    private final String authorization;
    private final Duration timeout;
    private final HttpClient http;

    /** The connection's password goes into the Authorization header only; never logged. */
    public SnapshotReader(OpenSearchConnection connection, Duration timeout) {
        this.hosts = connection.baseUris();
        this.authorization = connection.basicAuthorization();
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).version(HttpClient.Version.HTTP_1_1).build();
    }

    /** The server's version number, e.g. {@code 2.19.1}. */
    public String version() {
        return json(request("/").GET()).path("version").path("number").asText();
    }

    /** True when the server has point in time with {@code search_after} (OpenSearch 2.4 and later). */
    public boolean supportsPointInTime() {
        String[] v = version().split("[.-]");
        int major = Integer.parseInt(v[0]);
        return major > 2 || (major == 2 && Integer.parseInt(v[1]) >= 4);
    }

    public String openPit(String index, String keepAlive) {
        JsonNode r = json(request("/" + encode(index) + "/_search/point_in_time?keep_alive=" + encode(keepAlive))
                .POST(HttpRequest.BodyPublishers.noBody()));
        String id = r.path("pit_id").asText(null);
        if (id == null) {
            throw new OpenSearchReadException("OpenSearch opened no point in time on " + index + ": " + r);
        }
        requireAllShards(r, "opening the point in time on " + index);
        return id;
    }

    /** Releases a point in time; false when it was already gone. */
    public boolean closePit(String pitId) {
        HttpResponse<String> r = send(request("/_search/point_in_time").method("DELETE",
                HttpRequest.BodyPublishers.ofString(write(g -> {
                    g.writeStartObject();
                    g.writeArrayFieldStart("pit_id");
                    g.writeString(pitId);
                    g.writeEndArray();
                    g.writeEndObject();
                }))));
        if (r.statusCode() != 200) {
            throw new OpenSearchReadException("OpenSearch " + r.request().uri().getAuthority() + " answered "
                    + r.statusCode() + " to closing a point in time: " + r.body().substring(0, Math.min(500, r.body().length())),
                    r.statusCode());
        }
        return true;
    }

    /** Primary shards per concrete index behind {@code index} (an index, alias or pattern). */
    public java.util.Map<String, Integer> primaryShards(String index) {
        JsonNode groups = json(request("/" + encode(index) + "/_search_shards").GET()).path("shards");
        java.util.Map<String, Integer> shards = new java.util.TreeMap<>();
        for (JsonNode group : groups) {
            if (group.size() > 0) {
                shards.merge(group.get(0).path("index").asText(), 1, Integer::sum);
            }
        }
        return shards;
    }

    /**
     * True when the server sorts a point in time by {@code _shard_doc} (the tiebreaker OpenSearch 3.x recommends for
     * point in time with search_after); OpenSearch 2.x answers 400 "No mapping found for [_shard_doc]".
     */
    public boolean supportsShardDoc(String pitId, String keepAlive) {
        HttpResponse<String> r = send(request("/_search").POST(HttpRequest.BodyPublishers.ofString(write(g -> {
            g.writeStartObject();
            g.writeNumberField("size", 1);
            g.writeBooleanField("track_total_hits", false);
            writePit(g, pitId, keepAlive);
            g.writeArrayFieldStart("sort");
            g.writeStartObject();
            g.writeStringField("_shard_doc", "asc");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }))));
        if (r.statusCode() == 200) {
            return true;
        }
        if (r.statusCode() == 400 && r.body().contains("_shard_doc")) {
            return false;
        }
        parse(r); // any other answer is a failure
        return false;
    }

    /** Documents matching {@code queryJson} in the point in time; {@code -1} when the point in time is gone. */
    public long count(String pitId, String keepAlive, String queryJson) {
        return count(pitId, keepAlive, queryJson, 0, 1);
    }

    /** Documents of one slice of the point in time; {@code -1} when the point in time is gone. */
    public long count(String pitId, String keepAlive, String queryJson, int slice, int slices) {
        HttpResponse<String> r = send(request("/_search").POST(HttpRequest.BodyPublishers.ofString(write(g -> {
            g.writeStartObject();
            g.writeNumberField("size", 0);
            g.writeBooleanField("track_total_hits", true);
            writePit(g, pitId, keepAlive);
            writeQuery(g, queryJson);
            writeSlice(g, slice, slices);
            g.writeEndObject();
        }))));
        if (r.statusCode() == 404) {
            return -1;
        }
        JsonNode body = parse(r);
        requireAllShards(body, "counting the snapshot");
        return body.path("hits").path("total").path("value").asLong();
    }

    /**
     * A cursor over one slice of the snapshot, starting after {@code searchAfter} (the raw JSON sort values of the
     * last document already dumped, or null from the start).
     */
    public HitCursor cursor(String pitId, String keepAlive, String queryJson, String sortField, int slice, int slices,
                            byte[] searchAfter, int pageSize, HitCursor.Retry retry) {
        return new HitCursor(this, pitId, keepAlive, queryJson, sortField, slice, slices, searchAfter, pageSize, retry);
    }

    /** A page's body as it streams in, and its length when the server said it (-1 otherwise). */
    record PageBody(InputStream in, long length) {
    }

    /** Sends one page request; the caller reads and closes the streamed body. */
    PageBody page(String pitId, String keepAlive, String queryJson, String sortField, int slice, int slices,
                     byte[] searchAfter, int pageSize) {
        String body = write(g -> {
            g.writeStartObject();
            g.writeNumberField("size", pageSize);
            g.writeBooleanField("track_total_hits", false);
            writePit(g, pitId, keepAlive);
            writeQuery(g, queryJson);
            g.writeArrayFieldStart("sort");
            g.writeStartObject();
            g.writeStringField(sortField, "asc");
            g.writeEndObject();
            g.writeEndArray();
            writeSlice(g, slice, slices);
            if (searchAfter != null) {
                g.writeFieldName("search_after");
                g.writeRawValue(new String(searchAfter, StandardCharsets.UTF_8));
            }
            g.writeEndObject();
        });
        HttpResponse<InputStream> r = sendToAHost(request("/_search").POST(HttpRequest.BodyPublishers.ofString(body)),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            String text;
            try (InputStream in = r.body()) {
                text = new String(in.readNBytes(2000), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = describe(e);
            }
            String host = r.request().uri().getAuthority();
            throw new OpenSearchReadException("OpenSearch " + host + " answered " + r.statusCode() + " to a page of slice "
                    + slice + (r.statusCode() == 404 ? " (" + POINT_IN_TIME_GONE + ")" : "") + ": " + text, r.statusCode());
        }
        return new PageBody(r.body(), r.headers().firstValueAsLong("content-length").orElse(-1));
    }

    private static void writePit(JsonGenerator g, String pitId, String keepAlive) throws IOException {
        g.writeObjectFieldStart("pit");
        g.writeStringField("id", pitId);
        g.writeStringField("keep_alive", keepAlive);
        g.writeEndObject();
    }

    private static void writeSlice(JsonGenerator g, int slice, int slices) throws IOException {
        if (slices > 1) {
            g.writeObjectFieldStart("slice");
            g.writeNumberField("id", slice);
            g.writeNumberField("max", slices);
            g.writeEndObject();
        }
    }

    private static void writeQuery(JsonGenerator g, String queryJson) throws IOException {
        if (queryJson != null && !queryJson.isBlank()) {
            g.writeFieldName("query");
            g.writeRawValue(queryJson);
        }
    }

    static void requireAllShards(JsonNode response, String what) {
        JsonNode shards = response.path("_shards");
        if (shards.path("failed").asInt(0) > 0) {
            JsonNode failures = shards.path("failures");
            // a shard whose search context is gone: the point in time expired or was released under the reader
            boolean pointInTimeGone = failures.toString().contains("search_context_missing_exception");
            throw new OpenSearchReadException("shard failures while " + what + " (documents would be missing)"
                    + (pointInTimeGone ? "; " + POINT_IN_TIME_GONE : "")
                    + ": " + failures);
        }
    }

    /** A request to the current host; {@link #sendToAHost} moves it to another host when that one cannot be reached. */
    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(hosts.get(current).resolve(path)).timeout(timeout)
                .header("Content-Type", "application/json").header("Accept", "application/json");
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return b;
    }

    private JsonNode json(HttpRequest.Builder request) {
        return parse(send(request));
    }

    /** The host requests go to now ({@code host:port}): the one that answered last. */
    String currentHost() {
        return hosts.get(current).getAuthority();
    }

    /**
     * Sends to the current host; when it cannot be connected to, to the next ones in turn (each at most once). The
     * host that answers becomes the current one. Any other I/O failure (reset, timeout) is not sent on: the request
     * may have reached the server. Every failure names the host, the request and the cause.
     */
    private <T> HttpResponse<T> sendToAHost(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
        int first = current;
        List<String> unreachable = new java.util.ArrayList<>();
        for (int i = 0; ; i++) {
            int host = (first + i) % hosts.size();
            URI uri = request.build().uri();
            request.uri(hosts.get(host).resolve(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())));
            HttpRequest built = request.build();
            try {
                HttpResponse<T> response = http.send(built, body);
                current = host;
                return response;
            } catch (ConnectException | HttpConnectTimeoutException e) {
                if (i + 1 >= hosts.size()) {
                    throw failure(built, e, unreachable);
                }
                unreachable.add(hosts.get(host).getAuthority() + " (" + describe(e) + ")");
                LOG.warn("OpenSearch host {} cannot be reached ({}); trying {}", hosts.get(host).getAuthority(),
                        describe(e), hosts.get((host + 1) % hosts.size()).getAuthority());
            } catch (IOException e) {
                throw failure(built, e, unreachable);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OpenSearchReadException("interrupted while waiting for OpenSearch "
                        + built.uri().getAuthority() + " (" + built.method() + " " + built.uri().getPath() + ")", e);
            }
        }
    }

    private static OpenSearchReadException failure(HttpRequest request, IOException e, List<String> unreachable) {
        return new OpenSearchReadException("OpenSearch " + request.uri().getAuthority() + " " + request.method() + " "
                + request.uri().getPath() + " failed: " + describe(e)
                + (unreachable.isEmpty() ? "" : "; could not reach " + String.join(", ", unreachable) + " either"), e, true);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        return sendToAHost(request, HttpResponse.BodyHandlers.ofString());
    }

    /** 429 (too many requests) and 5xx (node restarting, overloaded, gateway) may pass; the rest will not. */
    static boolean retryable(int status) {
        return status == 429 || status >= 500;
    }

    /**
     * An exception as {@code Type: message}, followed by its causes while they add something: the JDK's HTTP client
     * throws a {@link ConnectException} with no message of its own (the old "request failed: null").
     */
    public static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t) && seen.size() <= 4; t = t.getCause()) {
            String message = t.getMessage();
            if (s.length() > 0) {
                if (message != null && s.indexOf(message) >= 0) {
                    continue; // a cause whose text is already said
                }
                s.append(" <- ");
            }
            s.append(t.getClass().getSimpleName());
            if (message != null && !message.isBlank()) {
                s.append(": ").append(message);
            } else if (t instanceof ConnectException) {
                s.append(": cannot connect (refused, or no route to the host)");
                break; // its causes (another ConnectException, a closed channel) add nothing
            }
        }
        return s.toString();
    }

    private static JsonNode parse(HttpResponse<String> r) {
        if (r.statusCode() / 100 != 2) {
            String body = r.body();
            throw new OpenSearchReadException("OpenSearch " + r.request().uri().getAuthority() + " answered "
                    + r.statusCode() + " to " + r.request().method() + " " + r.request().uri().getPath() + ": "
                    + (body.length() > 2000 ? body.substring(0, 2000) : body), r.statusCode());
        }
        try {
            return MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new OpenSearchReadException("OpenSearch " + r.request().uri().getAuthority() + " sent unreadable JSON to "
                    + r.request().method() + " " + r.request().uri().getPath() + ": " + describe(e), e);
        }
    }

    interface JsonWriting {
        void write(JsonGenerator g) throws IOException;
    }

    static String write(JsonWriting writing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writing.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("%2C", ",").replace("%2A", "*");
    }

    /** A failure reading the snapshot, naming the host and the cause; carries no credentials. */
    public static final class OpenSearchReadException extends RuntimeException {
        private final boolean retryable;
        private final int status; // of OpenSearch's answer; 0 when there was none

        public OpenSearchReadException(String message) {
            this(message, null, false);
        }

        public OpenSearchReadException(String message, Throwable cause) {
            this(message, cause, false);
        }

        public OpenSearchReadException(String message, Throwable cause, boolean retryable) {
            super(message, cause);
            this.retryable = retryable;
            this.status = 0;
        }

        /** OpenSearch answered with this HTTP status: retryable when 429 or 5xx. */
        OpenSearchReadException(String message, int status) {
            super(message);
            this.retryable = SnapshotReader.retryable(status);
            this.status = status;
        }

        /** OpenSearch answered 429: it asked Ferry to slow down ({@code ferry_throttled_total}). */
        public boolean throttled() {
            return status == 429;
        }

        /**
         * True when the same request may succeed later: the connection failed (refused, reset, timed out) or the
         * server answered 429 or 5xx. False for answers that will not change (a bad query, a point in time gone).
         */
        public boolean retryable() {
            return retryable;
        }
    }
}
