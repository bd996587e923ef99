package dev.ferry.embedded.report;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.dump.CountingStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An embedded report server that behaves like SQL Server Reporting Services URL access
 * ({@code GET /ReportServer?/Folder/Report&rs:Command=Render&rs:Format=CSV&Plant=A&From=..&To=..}),
 * serving the deterministic {@link TrackingReport} as CSV, behind real NTLM (NTLMv2 verified),
 * Basic or no authentication, with switchable failure behaviours. Test infrastructure only.
 *
 * <pre>{@code
 * try (ReportServer server = ReportServer.start(ReportServer.Settings.defaults()
 *         .reportPath("/Manufacturing/Tracking").plants(List.of("A", "B", "C", "D")).rowsPerHour(1000)
 *         .ntlm("CORP", "svc_ferry", "s3cret!"))) {
 *     server.baseUrl();                       // http://127.0.0.1:PORT/ReportServer
 *     server.behaviour().renderDelay(Duration.ofMillis(200));
 *     server.enqueue(ReportServer.Response.status(503).header("Retry-After", "1"));
 *     server.behaviour().defect(5, ReportServer.Defect.BAD_QUANTITY);
 *     server.authenticatedRequests();         // what the client asked for
 *     server.stats();                         // counters
 * }
 * }</pre>
 *
 * <p>Request handling order: lockout check, authentication, rate limit, scripted response
 * ({@link #enqueue} queue first, then {@link Behaviour#always}), validation, render delay, render.
 */
public final class ReportServer implements AutoCloseable {

    /** Deterministic bad rows, placed by row index within a response (0-based, header excluded). */
    public enum Defect {
        /** an 11th field "UNEXPECTED" is appended */
        WRONG_COLUMN_COUNT,
        /** Quantity gets an "x" suffix, e.g. {@code 12x} */
        BAD_QUANTITY,
        /** ProducedAt becomes e.g. {@code 2026-13-45 25:61:00} */
        BAD_DATE,
        /** Notes becomes 5000 characters long */
        OVERLONG_NOTES,
        /** TrackingId is empty */
        MISSING_TRACKING_ID
    }

    public enum AuthMode { NTLM, BASIC, NONE }

    // ================================================================ settings

    /** Start-time settings (fluent, mutable until {@link #start}). */
    public static final class Settings {
        private int port = 0;
        private String reportPath = "/Manufacturing/Tracking";
        private List<String> plants = List.of("A", "B", "C", "D");
        private int rowsPerHour = 1000;
        private AuthMode auth = AuthMode.NONE;
        private String domain = "CORP";
        private String user;
        private String password;
        private String computerName = "SSRS01";
        private javax.net.ssl.SSLContext tls;

        public static Settings defaults() {
            return new Settings();
        }

        public Settings port(int port) {
            this.port = port;
            return this;
        }

        public Settings reportPath(String reportPath) {
            this.reportPath = reportPath.startsWith("/") ? reportPath : "/" + reportPath;
            return this;
        }

        public Settings plants(List<String> plants) {
            this.plants = List.copyOf(plants);
            return this;
        }

        public Settings rowsPerHour(int rowsPerHour) {
            this.rowsPerHour = rowsPerHour;
            return this;
        }

        public Settings ntlm(String domain, String user, String password) {
            this.auth = AuthMode.NTLM;
            this.domain = Objects.requireNonNull(domain);
            this.user = Objects.requireNonNull(user);
            this.password = Objects.requireNonNull(password);
            return this;
        }

        public Settings basic(String user, String password) {
            this.auth = AuthMode.BASIC;
            this.user = Objects.requireNonNull(user);
            this.password = Objects.requireNonNull(password);
            return this;
        }

        public Settings noAuth() {
            this.auth = AuthMode.NONE;
            return this;
        }

        /** Serves HTTPS with this context's key (e.g. a self-signed certificate for 127.0.0.1) instead of HTTP. */
        public Settings https(javax.net.ssl.SSLContext tls) {
            this.tls = Objects.requireNonNull(tls);
            return this;
        }

        /** NetBIOS name of the "server" announced in the NTLM challenge. */
        public Settings computerName(String computerName) {
            this.computerName = computerName;
            return this;
        }

        public AuthMode auth() {
            return auth;
        }

        @Override
        public String toString() { // never includes the password
            return "Settings[port=" + port + ", reportPath=" + reportPath + ", plants=" + plants
                    + ", rowsPerHour=" + rowsPerHour + ", auth=" + auth + ", domain=" + domain + ", user=" + user + "]";
        }
    }

    // ================================================================ scripted responses

    /** A response to serve instead of (or as a variation of) a normal render. Immutable. */
    public static final class Response {
        enum Kind { NORMAL, STATUS, HTML_ERROR_200, EMPTY_200, CUT_OFF, RENAMED_HEADER }

        final Kind kind;
        final int status;
        final Map<String, String> headers;
        final long cutOffRows;
        final boolean abrupt;
        final Duration renderDelay; // null: the behaviour's render delay
        final Duration trickle; // null: the body as fast as it goes; else a pause after each TRICKLE_BYTES

        private Response(Kind kind, int status, Map<String, String> headers, long cutOffRows, boolean abrupt) {
            this(kind, status, headers, cutOffRows, abrupt, null, null);
        }

        private Response(Kind kind, int status, Map<String, String> headers, long cutOffRows, boolean abrupt,
                         Duration renderDelay, Duration trickle) {
            this.kind = kind;
            this.status = status;
            this.headers = Map.copyOf(headers);
            this.cutOffRows = cutOffRows;
            this.abrupt = abrupt;
            this.renderDelay = renderDelay;
            this.trickle = trickle;
        }

        /** A normal render (useful inside a queue). */
        public static Response normal() {
            return new Response(Kind.NORMAL, 200, Map.of(), -1, false);
        }

        /** This status with an IIS/SSRS-like HTML body, e.g. 500, 503, 429. */
        public static Response status(int status) {
            return new Response(Kind.STATUS, status, Map.of(), -1, false);
        }

        /** 429 with {@code Retry-After: <seconds>}. */
        public static Response tooManyRequests(Duration retryAfter) {
            return status(429).header("Retry-After", Long.toString(Math.max(0, retryAfter.toSeconds())));
        }

        /** 503 with {@code Retry-After: <seconds>}. */
        public static Response serviceUnavailable(Duration retryAfter) {
            return status(503).header("Retry-After", Long.toString(Math.max(0, retryAfter.toSeconds())));
        }

        /** Status 200, text/html: "An error occurred during local report processing (rsProcessingAborted)". */
        public static Response htmlErrorWithStatus200() {
            return new Response(Kind.HTML_ERROR_200, 200, Map.of(), -1, false);
        }

        /** Status 200 with CSV headers and an empty body (not even a BOM). */
        public static Response emptyBody() {
            return new Response(Kind.EMPTY_200, 200, Map.of(), -1, false);
        }

        /** Writes {@code rows} data rows then half of the next one, then closes the connection abruptly
         *  (no terminating chunk: the client sees a premature end of the chunked body). */
        public static Response cutOffAfterRows(long rows) {
            return new Response(Kind.CUT_OFF, 200, Map.of(), rows, true);
        }

        /** Like {@link #cutOffAfterRows} but ends the chunked stream properly: a "complete" body that
         *  ends in the middle of a row. */
        public static Response truncatedAfterRows(long rows) {
            return new Response(Kind.CUT_OFF, 200, Map.of(), rows, false);
        }

        /** A normal render whose header row names column Quantity "Qty". */
        public static Response renamedHeaderColumn() {
            return new Response(Kind.RENAMED_HEADER, 200, Map.of(), -1, false);
        }

        /** Adds a response header (e.g. Retry-After). */
        public Response header(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Response(kind, status, h, cutOffRows, abrupt, renderDelay, trickle);
        }

        /** This response after {@code delay} instead of the behaviour's render delay (one slow render in a queue). The
         *  request stays in flight for the whole delay, even when the client gave up and closed the connection. */
        public Response renderDelay(Duration delay) {
            return new Response(kind, status, headers, cutOffRows, abrupt, Objects.requireNonNull(delay), trickle);
        }

        /** The body in pieces of {@value #TRICKLE_BYTES} bytes with {@code pause} after each (a slow network or
         *  server): a client that drops the connection meanwhile makes the next piece fail, and the body is not
         *  counted in {@link Stats#rowsServed()}. */
        public Response trickle(Duration pause) {
            return new Response(kind, status, headers, cutOffRows, abrupt, renderDelay, Objects.requireNonNull(pause));
        }

        static final int TRICKLE_BYTES = 16 * 1024;

        boolean rendersCsv() {
            return kind == Kind.NORMAL || kind == Kind.CUT_OFF || kind == Kind.RENAMED_HEADER;
        }

        @Override
        public String toString() {
            return kind + (kind == Kind.STATUS ? " " + status : "") + (cutOffRows >= 0 ? " after " + cutOffRows : "")
                    + (headers.isEmpty() ? "" : " " + headers) + (renderDelay == null ? "" : " after " + renderDelay);
        }
    }

    // ================================================================ runtime behaviour

    /** Switchable behaviours; every setter takes effect for the next request. */
    public final class Behaviour {
        private volatile Duration renderDelay = Duration.ZERO;
        private volatile int maxRequests;
        private volatile Duration requestWindow = Duration.ofMinutes(1);
        private volatile int maxFailedLogins;
        private volatile int lockoutStatus = 401;
        private volatile Response always;
        private final Map<Long, Defect> defects = new ConcurrentHashMap<>();

        /** Latency before the first byte of any authenticated response. */
        public Behaviour renderDelay(Duration delay) {
            this.renderDelay = Objects.requireNonNull(delay);
            return this;
        }

        /** Locks the account when more than {@code max} authenticated requests arrive within {@code window}
         *  (0 = no limit). The request that exceeds the limit is already refused. */
        public Behaviour lockAfterRequests(int max, Duration window) {
            this.maxRequests = max;
            this.requestWindow = Objects.requireNonNull(window);
            synchronized (recentRequests) {
                recentRequests.clear();
            }
            return this;
        }

        /** Locks the account when {@code max} consecutive failed logins happened (0 = never). */
        public Behaviour lockAfterFailedLogins(int max) {
            this.maxFailedLogins = max;
            return this;
        }

        /** Status served to every request while locked: 401 (default) or 403. */
        public Behaviour lockoutStatus(int status) {
            this.lockoutStatus = status;
            return this;
        }

        /** Serve this response to every authenticated request (after the queue is drained); null = normal. */
        public Behaviour always(Response response) {
            this.always = response;
            return this;
        }

        /** Inject a defect at this row index (0-based, within every response, header excluded). */
        public Behaviour defect(long rowIndex, Defect defect) {
            defects.put(rowIndex, Objects.requireNonNull(defect));
            return this;
        }

        public Behaviour clearDefects() {
            defects.clear();
            return this;
        }

        /** Current defects (copy). */
        public Map<Long, Defect> defects() {
            return Map.copyOf(defects);
        }

        /** Back to a well-behaved server (does not unlock, clear the queue or the counters). */
        public Behaviour reset() {
            renderDelay = Duration.ZERO;
            maxRequests = 0;
            maxFailedLogins = 0;
            lockoutStatus = 401;
            always = null;
            defects.clear();
            return this;
        }
    }

    // ================================================================ recording

    /** One HTTP request as received (params exclude the report path item; in arrival order). */
    public record RecordedRequest(Instant time, String method, String reportPath,
                                  Map<String, List<String>> params, boolean authenticated, String user,
                                  int status, String remote) {
        /** First value of a parameter, or null. */
        public String param(String name) {
            List<String> v = params.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }

        /** All values of a (multi-value) parameter, possibly empty. */
        public List<String> params(String name) {
            return params.getOrDefault(name, List.of());
        }

        public LocalDateTime from() {
            return param("From") == null ? null : LocalDateTime.parse(param("From"));
        }

        public LocalDateTime to() {
            return param("To") == null ? null : LocalDateTime.parse(param("To"));
        }
    }

    /** A snapshot of the counters. */
    public record Stats(long totalRequests, long authenticatedRequests, long csvResponses, int inFlight,
                        int maxInFlight, long failedLogins, boolean locked, long lockouts,
                        long rowsServed, long bytesServed, long lastRenderAllocatedBytes) {
    }

    // ================================================================ state

    private final Settings settings;
    private final TrackingReport report;
    private final HttpServer http;
    private final ExecutorService executor;
    private final NtlmServer ntlm;
    private final Behaviour behaviour = new Behaviour();
    private final ConcurrentLinkedQueue<Response> queue = new ConcurrentLinkedQueue<>();
    private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
    private final Map<String, NtlmServer.Challenge> pendingChallenges = new ConcurrentHashMap<>();
    /** remote address -> authenticated connection; IIS keeps NTLM auth per TCP connection. We cannot see
     *  the connection close, so an entry expires after {@link #CONNECTION_IDLE} without activity (the JDK
     *  server closes connections idle that long by default), so a reused client port does not inherit it. */
    private final Map<String, ConnectionAuth> authenticatedConnections = new ConcurrentHashMap<>();
    private static final long CONNECTION_IDLE = Duration.ofSeconds(30).toNanos();
    private static final long CHALLENGE_TTL = Duration.ofSeconds(60).toNanos();

    private record ConnectionAuth(String user, long lastActivityNanos) {
    }
    private final ArrayDeque<Long> recentRequests = new ArrayDeque<>();

    private final AtomicLong totalRequests = new AtomicLong();
    private final AtomicLong authenticatedRequests = new AtomicLong();
    private final AtomicLong csvResponses = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final AtomicLong failedLogins = new AtomicLong();
    private final AtomicInteger consecutiveFailedLogins = new AtomicInteger();
    private final AtomicBoolean locked = new AtomicBoolean();
    private final AtomicLong lockouts = new AtomicLong();
    private final AtomicLong rowsServed = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicLong lastRenderAllocatedBytes = new AtomicLong(-1);
    private final AtomicLong tlsConnections = new AtomicLong();

    private ReportServer(Settings settings) throws IOException {
        this.settings = settings;
        this.report = new TrackingReport(settings.plants, settings.rowsPerHour);
        this.ntlm = settings.auth == AuthMode.NTLM
                ? new NtlmServer(settings.domain, settings.user, settings.password, settings.computerName) : null;
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "report-server-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        this.executor = Executors.newCachedThreadPool(tf);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), settings.port);
        if (settings.tls != null) {
            com.sun.net.httpserver.HttpsServer https = com.sun.net.httpserver.HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(settings.tls) {
                @Override
                public void configure(com.sun.net.httpserver.HttpsParameters params) {
                    // called once per accepted connection, before its handshake: counts attempts that never
                    // become a request (a client refusing the certificate)
                    tlsConnections.incrementAndGet();
                    super.configure(params);
                }
            });
            this.http = https;
        } else {
            this.http = HttpServer.create(address, 64);
        }
        this.http.setExecutor(executor);
        this.http.createContext("/", this::handle);
        this.http.start();
    }

    /** Starts a server bound to 127.0.0.1 (port 0 = a free port). */
    public static ReportServer start(Settings settings) {
        try {
            return new ReportServer(settings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return http.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:PORT/ReportServer} ({@code https} when started with {@link Settings#https}) */
    public String baseUrl() {
        return (settings.tls != null ? "https" : "http") + "://127.0.0.1:" + port() + "/ReportServer";
    }

    /** The query string (without '?') of a CSV render request for this server's report. */
    public String renderQuery(LocalDateTime from, LocalDateTime to, Collection<String> plants) {
        StringBuilder q = new StringBuilder(settings.reportPath).append("&rs:Command=Render&rs:Format=CSV");
        for (String p : plants) {
            q.append("&Plant=").append(p);
        }
        return q.append("&From=").append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(from))
                .append("&To=").append(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(to)).toString();
    }

    public Settings settings() {
        return settings;
    }

    public TrackingReport report() {
        return report;
    }

    public Behaviour behaviour() {
        return behaviour;
    }

    /** Scripted responses for the next authenticated requests, in order; then back to normal. */
    public ReportServer enqueue(Response... responses) {
        queue.addAll(List.of(responses));
        return this;
    }

    /** The same scripted response for the next {@code times} authenticated requests. */
    public ReportServer enqueue(int times, Response response) {
        for (int i = 0; i < times; i++) {
            queue.add(response);
        }
        return this;
    }

    /** Every request received, including NTLM handshake legs and rejected ones. */
    public List<RecordedRequest> requests() {
        return List.copyOf(requests);
    }

    /** The requests that passed authentication: what the client actually asked for. */
    public List<RecordedRequest> authenticatedRequests() {
        return requests.stream().filter(RecordedRequest::authenticated).toList();
    }

    public Stats stats() {
        return new Stats(totalRequests.get(), authenticatedRequests.get(), csvResponses.get(), inFlight.get(),
                maxInFlight.get(), failedLogins.get(), locked.get(), lockouts.get(), rowsServed.get(),
                bytesServed.get(), lastRenderAllocatedBytes.get());
    }

    /** HTTPS only: connections accepted, each counted before its TLS handshake (so also those whose handshake failed). */
    public long tlsConnections() {
        return tlsConnections.get();
    }

    public boolean isLocked() {
        return locked.get();
    }

    /** Unlocks the account and resets the failed-login and rate-limit windows. */
    public void unlock() {
        locked.set(false);
        consecutiveFailedLogins.set(0);
        synchronized (recentRequests) {
            recentRequests.clear();
        }
    }

    /** Clears recorded requests, counters, the queue and the lock; resets the behaviour. */
    public void reset() {
        requests.clear();
        queue.clear();
        behaviour.reset();
        unlock();
        for (AtomicLong c : List.of(totalRequests, authenticatedRequests, csvResponses, failedLogins, lockouts,
                rowsServed, bytesServed, tlsConnections)) {
            c.set(0);
        }
        maxInFlight.set(inFlight.get());
        lastRenderAllocatedBytes.set(-1);
    }

    /** The rows this server serves for the window and plants, with the current defects applied. */
    public Iterator<TrackingReport.Row> expectedRows(LocalDateTime from, LocalDateTime to, Collection<String> plants) {
        return report.rows(from, to, plants, behaviour.defects());
    }

    /** The rows of a recorded request. */
    public Iterator<TrackingReport.Row> expectedRows(RecordedRequest request) {
        return expectedRows(request.from(), request.to(), request.params("Plant"));
    }

    /** Writes exactly the CSV this server serves (current defects included) to a file; returns the row count. */
    public long writeCsv(Path file, LocalDateTime from, LocalDateTime to, Collection<String> plants) throws IOException {
        return report.writeCsv(file, from, to, plants, behaviour.defects());
    }

    @Override
    public synchronized void close() {
        if (!executor.isShutdown()) {
            http.stop(0);
            executor.shutdownNow();
        }
    }

    // ================================================================ request handling

    /** Per-exchange state. */
    private final class Call {
        final HttpExchange ex;
        final Instant time = Instant.now();
        final String remote;
        String reportPath;
        Map<String, List<String>> params = Map.of();
        boolean authenticated;
        String user;
        boolean ntlmConnection;
        boolean done;

        Call(HttpExchange ex) {
            this.ex = ex;
            this.remote = String.valueOf(ex.getRemoteAddress());
        }

        void record(int status) {
            requests.add(new RecordedRequest(time, ex.getRequestMethod(), reportPath, params, authenticated, user, status, remote));
        }

        /** Leaves the in-flight count; called before the last byte goes out, so that a client that
         *  sends its next request as soon as it has read a response never sees two in flight. */
        void done() {
            if (!done) {
                done = true;
                inFlight.decrementAndGet();
            }
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        totalRequests.incrementAndGet();
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        Call call = new Call(ex);
        try {
            ex.getRequestBody().readAllBytes();
            if (!ex.getRequestURI().getPath().equalsIgnoreCase("/ReportServer")
                    && !ex.getRequestURI().getPath().equalsIgnoreCase("/ReportServer/")) {
                sendHtml(call, 404, Map.of(), iisPage("404 - File or directory not found."));
                return;
            }
            parseQuery(call);
            if (locked.get()) {
                sendLockout(call);
                return;
            }
            if (!authenticate(call)) {
                return; // a 401 was sent
            }
            call.authenticated = true;
            authenticatedRequests.incrementAndGet();
            if (rateLimitExceeded()) {
                lock();
                sendLockout(call);
                return;
            }
            Response scripted = queue.poll();
            if (scripted == null) {
                scripted = behaviour.always;
            }
            if (scripted == null) {
                scripted = Response.normal();
            }
            Duration renderDelay = scripted.renderDelay != null ? scripted.renderDelay : behaviour.renderDelay;
            if (!scripted.rendersCsv()) {
                sleep(renderDelay);
                sendScripted(call, scripted);
                return;
            }
            Validated v = validate(call);
            if (v == null) {
                return; // an error page was sent
            }
            sleep(renderDelay);
            render(call, v, scripted);
        } finally {
            call.done();
            if (call.ntlmConnection) { // activity at the end of a (possibly long) response keeps the connection's auth
                authenticatedConnections.computeIfPresent(call.remote, (k, v) -> new ConnectionAuth(v.user(), System.nanoTime()));
            }
        }
    }

    private static void sleep(Duration d) {
        if (!d.isZero() && !d.isNegative()) {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void parseQuery(Call call) {
        String raw = call.ex.getRequestURI().getRawQuery();
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (raw != null) {
            for (String item : raw.split("&")) {
                if (item.isEmpty()) {
                    continue;
                }
                int eq = item.indexOf('=');
                if (eq < 0 && call.reportPath == null) {
                    call.reportPath = decode(item);
                } else if (eq < 0) {
                    params.computeIfAbsent(decode(item), k -> new ArrayList<>()).add("");
                } else {
                    params.computeIfAbsent(decode(item.substring(0, eq)), k -> new ArrayList<>()).add(decode(item.substring(eq + 1)));
                }
            }
        }
        params.replaceAll((k, v) -> List.copyOf(v));
        call.params = Collections.unmodifiableMap(params);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    // ---------------------------------------------------------------- authentication

    /** @return true if authenticated; otherwise a 401 has been sent. */
    private boolean authenticate(Call call) throws IOException {
        String auth = call.ex.getRequestHeaders().getFirst("Authorization");
        switch (settings.auth) {
            case NONE:
                return true;
            case BASIC: {
                if (auth == null || !auth.regionMatches(true, 0, "Basic ", 0, 6)) {
                    sendUnauthorized(call, "Basic realm=\"" + call.ex.getRequestHeaders().getFirst("Host") + "\"");
                    return false;
                }
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    decoded = "";
                }
                int colon = decoded.indexOf(':');
                String u = colon < 0 ? decoded : decoded.substring(0, colon);
                String p = colon < 0 ? "" : decoded.substring(colon + 1);
                call.user = u;
                String bare = u.contains("\\") ? u.substring(u.indexOf('\\') + 1) : u;
                if (bare.equalsIgnoreCase(settings.user) && p.equals(settings.password)) {
                    loginSucceeded();
                    return true;
                }
                loginFailed();
                sendUnauthorized(call, "Basic realm=\"ReportServer\"");
                return false;
            }
            case NTLM:
            default:
                return authenticateNtlm(call, auth);
        }
    }

    private boolean authenticateNtlm(Call call, String auth) throws IOException {
        String conn = call.remote;
        if (auth == null) {
            ConnectionAuth ca = authenticatedConnections.get(conn);
            if (ca != null && System.nanoTime() - ca.lastActivityNanos() < CONNECTION_IDLE) {
                call.user = ca.user(); // IIS: an NTLM-authenticated connection stays authenticated
                call.ntlmConnection = true;
                return true;
            }
            authenticatedConnections.remove(conn);
            sendUnauthorized(call, "NTLM");
            return false;
        }
        String token = null;
        if (auth.regionMatches(true, 0, "NTLM ", 0, 5)) {
            token = auth.substring(5).trim();
        } else if (auth.regionMatches(true, 0, "Negotiate ", 0, 10)) {
            token = auth.substring(10).trim();
        }
        byte[] msg;
        try {
            msg = token == null ? new byte[0] : Base64.getDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            msg = new byte[0];
        }
        int type = NtlmServer.messageType(msg);
        if (type == 1) {
            authenticatedConnections.remove(conn);
            NtlmServer.Challenge ch = ntlm.challenge(msg);
            purgeStale();
            pendingChallenges.put(conn, ch);
            sendUnauthorized(call, ch.headerValue());
            return false;
        }
        if (type == 3) {
            NtlmServer.Challenge ch = pendingChallenges.remove(conn);
            if (ch != null && System.nanoTime() - ch.createdNanos() > CHALLENGE_TTL) {
                ch = null;
            }
            NtlmServer.Result r = ch == null
                    ? new NtlmServer.Result(false, null, null, null, "no challenge was issued on this connection")
                    : ntlm.verify(msg, ch.serverChallenge());
            call.user = r.user() == null ? null : (r.domain() == null || r.domain().isEmpty() ? r.user() : r.domain() + "\\" + r.user());
            if (r.ok()) {
                authenticatedConnections.put(conn, new ConnectionAuth(call.user, System.nanoTime()));
                call.ntlmConnection = true;
                loginSucceeded();
                return true;
            }
            loginFailed();
            sendUnauthorized(call, "NTLM");
            return false;
        }
        sendUnauthorized(call, "NTLM"); // some other scheme: ask for NTLM
        return false;
    }

    private void purgeStale() {
        long now = System.nanoTime();
        pendingChallenges.values().removeIf(c -> now - c.createdNanos() > CHALLENGE_TTL);
        authenticatedConnections.values().removeIf(c -> now - c.lastActivityNanos() > CONNECTION_IDLE);
    }

    private void loginSucceeded() {
        consecutiveFailedLogins.set(0);
    }

    private void loginFailed() {
        failedLogins.incrementAndGet();
        int n = consecutiveFailedLogins.incrementAndGet();
        int max = behaviour.maxFailedLogins;
        if (max > 0 && n >= max) {
            lock();
        }
    }

    private void lock() {
        if (locked.compareAndSet(false, true)) {
            lockouts.incrementAndGet();
        }
    }

    private boolean rateLimitExceeded() {
        int max = behaviour.maxRequests;
        if (max <= 0) {
            return false;
        }
        long now = System.nanoTime();
        long window = behaviour.requestWindow.toNanos();
        synchronized (recentRequests) {
            while (!recentRequests.isEmpty() && now - recentRequests.peekFirst() > window) {
                recentRequests.pollFirst();
            }
            recentRequests.addLast(now);
            return recentRequests.size() > max;
        }
    }

    // ---------------------------------------------------------------- validation

    private record Validated(String reportName, LocalDateTime from, LocalDateTime to, List<String> plants) {
    }

    private static final Set<String> REPORT_PARAMETERS = Set.of("Plant", "From", "To");

    private Validated validate(Call call) throws IOException {
        String path = call.reportPath;
        if (path == null || !path.equalsIgnoreCase(settings.reportPath)) {
            String shown = path == null ? "/" : path;
            sendHtml(call, 404, Map.of(), ssrsErrorPage("The item '" + shown + "' cannot be found. (rsItemNotFound)"));
            return null;
        }
        String command = rsParam(call, "rs:Command");
        if (command == null) {
            return badRequest(call, "The parameter 'rs:Command' is missing. Only rs:Command=Render is supported here. (rsMissingParameter)");
        }
        if (!command.equalsIgnoreCase("Render")) {
            return badRequest(call, "The value '" + command + "' of the parameter 'rs:Command' is not valid. (rsInvalidParameter)");
        }
        String format = rsParam(call, "rs:Format");
        if (format == null) {
            return badRequest(call, "The parameter 'rs:Format' is missing. (rsMissingParameter)");
        }
        if (!format.equalsIgnoreCase("CSV")) {
            return badRequest(call, "The value '" + format + "' of the parameter 'rs:Format' is not valid: only CSV is configured. (rsInvalidParameter)");
        }
        for (String name : call.params.keySet()) {
            if (name.indexOf(':') < 0 && !REPORT_PARAMETERS.contains(name)) {
                return badRequest(call, "The report parameter '" + name + "' is not declared in the report definition. (rsUnknownReportParameter)");
            }
        }
        LocalDateTime from = dateParam(call, "From");
        if (from == null) {
            return null;
        }
        LocalDateTime to = dateParam(call, "To");
        if (to == null) {
            return null;
        }
        if (!from.isBefore(to)) {
            return badRequest(call, "The value provided for the report parameter 'From' (" + from + ") must be before 'To' (" + to + "). (rsReportParameterValueNotValid)");
        }
        List<String> plants;
        try {
            plants = report.normalizePlants(call.params.getOrDefault("Plant", List.of()));
        } catch (IllegalArgumentException e) {
            return badRequest(call, "The value '" + e.getMessage() + "' provided for the report parameter 'Plant' is not a valid value. Valid values: "
                    + report.allPlants() + ". (rsInvalidReportParameter)");
        }
        String name = path.substring(path.lastIndexOf('/') + 1);
        return new Validated(name.isEmpty() ? "Report" : name, from, to, plants);
    }

    private Validated badRequest(Call call, String message) throws IOException {
        sendHtml(call, 400, Map.of(), ssrsErrorPage(message));
        return null;
    }

    private static String rsParam(Call call, String name) {
        for (Map.Entry<String, List<String>> e : call.params.entrySet()) {
            if (e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
                return e.getValue().get(0);
            }
        }
        return null;
    }

    private LocalDateTime dateParam(Call call, String name) throws IOException {
        List<String> v = call.params.get(name);
        if (v == null || v.isEmpty() || v.get(0).isEmpty()) {
            badRequest(call, "The '" + name + "' parameter is missing a value. (rsReportParameterValueNotSet)");
            return null;
        }
        if (v.size() > 1) {
            badRequest(call, "The report parameter '" + name + "' is not multi-value but " + v.size() + " values were given. (rsReportParameterValueNotValid)");
            return null;
        }
        String s = v.get(0);
        try {
            return LocalDateTime.parse(s);
        } catch (DateTimeParseException e) {
            try {
                return LocalDate.parse(s).atStartOfDay();
            } catch (DateTimeParseException e2) {
                badRequest(call, "The value '" + s + "' provided for the report parameter '" + name
                        + "' is not valid for its type (DateTime, ISO-8601 expected). (rsReportParameterTypeMismatch)");
                return null;
            }
        }
    }

    // ---------------------------------------------------------------- responses

    private void render(Call call, Validated v, Response scripted) throws IOException {
        Headers h = call.ex.getResponseHeaders();
        h.set("Content-Type", "text/csv; charset=utf-8");
        h.set("Content-Disposition", "attachment; filename=" + v.reportName() + ".csv");
        scripted.headers.forEach(h::set);
        csvResponses.incrementAndGet();
        call.record(200);
        call.ex.sendResponseHeaders(200, 0); // chunked
        TrackingReport.Shape shape = new TrackingReport.Shape(scripted.kind == Response.Kind.RENAMED_HEADER,
                scripted.kind == Response.Kind.CUT_OFF ? scripted.cutOffRows : -1);
        CountingStream out = new CountingStream(scripted.trickle == null ? call.ex.getResponseBody()
                : new TrickleStream(call.ex.getResponseBody(), scripted.trickle));
        long alloc0 = allocatedBytes();
        try {
            long rows = report.write(out, v.from(), v.to(), v.plants(), behaviour.defects(), shape, null);
            rowsServed.addAndGet(rows);
        } catch (TrackingReport.CutOff cut) {
            rowsServed.addAndGet(scripted.cutOffRows);
            if (scripted.abrupt) {
                call.done();
                // An exception escaping the handler makes the JDK server close the socket without
                // writing the terminating chunk: the client sees the body end abruptly.
                throw new IllegalStateException(cut.getMessage());
            }
        } finally {
            bytesServed.addAndGet(out.count());
            long alloc1 = allocatedBytes();
            lastRenderAllocatedBytes.set(alloc0 < 0 || alloc1 < 0 ? -1 : alloc1 - alloc0);
        }
        call.done();
        out.close(); // terminating chunk
        call.ex.close();
    }

    /** Writes on in pieces of {@link Response#TRICKLE_BYTES}, pausing after each. */
    private static final class TrickleStream extends java.io.FilterOutputStream {
        private final Duration pause;
        private int sinceLastPause;

        TrickleStream(java.io.OutputStream out, Duration pause) {
            super(out);
            this.pause = pause;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n = Math.min(len, Response.TRICKLE_BYTES - sinceLastPause);
                out.write(b, off, n);
                off += n;
                len -= n;
                sinceLastPause += n;
                if (sinceLastPause == Response.TRICKLE_BYTES) {
                    out.flush();
                    sinceLastPause = 0;
                    sleep(pause);
                }
            }
        }
    }

    private void sendScripted(Call call, Response r) throws IOException {
        switch (r.kind) {
            case STATUS -> sendHtml(call, r.status, r.headers, statusPage(r.status));
            case HTML_ERROR_200 -> sendHtml(call, 200, r.headers, ssrsErrorPage(
                    "An error occurred during local report processing. (rsProcessingAborted)",
                    "An error has occurred during report processing. (rsProcessingAborted)",
                    "Query execution failed for dataset 'Tracking'. (rsErrorExecutingCommand)",
                    "Timeout expired. The timeout period elapsed prior to completion of the operation or the server is not responding."));
            case EMPTY_200 -> {
                Headers h = call.ex.getResponseHeaders();
                h.set("Content-Type", "text/csv; charset=utf-8");
                h.set("Content-Disposition", "attachment; filename=Report.csv");
                r.headers.forEach(h::set);
                call.record(200);
                call.done();
                call.ex.sendResponseHeaders(200, -1);
                call.ex.close();
            }
            default -> throw new IllegalStateException(r.toString());
        }
    }

    private void sendLockout(Call call) throws IOException {
        int status = behaviour.lockoutStatus;
        Map<String, String> headers = status == 401 && settings.auth != AuthMode.NONE
                ? Map.of("WWW-Authenticate", settings.auth == AuthMode.NTLM ? "NTLM" : "Basic realm=\"ReportServer\"")
                : Map.of();
        sendHtml(call, status, headers, iisPage(status + " - Access denied: the account '" + settings.user + "' is locked out."));
    }

    private void sendUnauthorized(Call call, String wwwAuthenticate) throws IOException {
        sendHtml(call, 401, Map.of("WWW-Authenticate", wwwAuthenticate),
                iisPage("401 - Unauthorized: Access is denied due to invalid credentials."));
    }

    private void sendHtml(Call call, int status, Map<String, String> headers, String html) throws IOException {
        byte[] body = html.getBytes(StandardCharsets.UTF_8);
        Headers h = call.ex.getResponseHeaders();
        h.set("Content-Type", "text/html; charset=utf-8");
        headers.forEach(h::set);
        call.record(status);
        call.ex.sendResponseHeaders(status, body.length);
        OutputStream out = call.ex.getResponseBody();
        out.write(body);
        call.done();
        out.close();
        call.ex.close();
    }

    private static String ssrsErrorPage(String... messages) {
        StringBuilder sb = new StringBuilder("<html><head><title>SQL Server Reporting Services</title>"
                + "<meta name=\"Generator\" content=\"Microsoft SQL Server Reporting Services\"/></head><body>"
                + "<h1>Reporting Services Error</h1><hr/>");
        for (String m : messages) {
            sb.append("<ul><li>").append(escape(m)).append(" <a href=\"https://go.microsoft.com/fwlink/?LinkId=20476\">Get Online Help</a></li>");
        }
        sb.append("</ul>".repeat(messages.length));
        return sb.append("<hr/><span>SQL Server Reporting Services</span></body></html>").toString();
    }

    private static String statusPage(int status) {
        String text = switch (status) {
            case 500 -> "500 - Internal server error. An internal error occurred on the report server. (rsInternalError)";
            case 502 -> "502 - Web server received an invalid response while acting as a gateway or proxy server.";
            case 503 -> "503 - Service Unavailable. The report server is busy.";
            case 429 -> "429 - Too Many Requests.";
            default -> status + " - Error.";
        };
        return iisPage(text);
    }

    private static String iisPage(String text) {
        return "<!DOCTYPE html><html><head><title>" + escape(text) + "</title></head><body><div id=\"header\"><h1>Server Error</h1></div>"
                + "<div id=\"content\"><h2>" + escape(text) + "</h2></div></body></html>";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static long allocatedBytes() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean sun && sun.isThreadAllocatedMemorySupported()
                && sun.isThreadAllocatedMemoryEnabled()) {
            return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return -1;
    }

    // ================================================================ standalone

    /**
     * Runs a server until killed. Options: {@code --port N} (0 = free), {@code --rows-per-hour N},
     * {@code --plants A,B,C,D}, {@code --report /Folder/Report}, {@code --auth ntlm|basic|none},
     * {@code --user U}, {@code --password P} (or env FERRY_REPORT_PASSWORD), {@code --domain D},
     * {@code --render-delay-ms N}. Prints {@code REPORT_SERVER_URL=...}.
     */
    public static void main(String[] args) throws InterruptedException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || i + 1 >= args.length) {
                System.err.println("usage: ReportServer [--port N] [--rows-per-hour N] [--plants A,B] [--report /F/R] "
                        + "[--auth ntlm|basic|none] [--user U] [--password P] [--domain D] [--render-delay-ms N]");
                System.exit(2);
            }
            opts.put(a.substring(2), args[++i]);
        }
        Settings s = Settings.defaults()
                .port(Integer.parseInt(opts.getOrDefault("port", "0")))
                .rowsPerHour(Integer.parseInt(opts.getOrDefault("rows-per-hour", "1000")));
        if (opts.containsKey("plants")) {
            s.plants(List.of(opts.get("plants").split(",")));
        }
        if (opts.containsKey("report")) {
            s.reportPath(opts.get("report"));
        }
        String password = opts.getOrDefault("password", System.getenv("FERRY_REPORT_PASSWORD"));
        String user = opts.getOrDefault("user", "svc_ferry");
        switch (opts.getOrDefault("auth", "none").toLowerCase(Locale.ROOT)) {
            case "ntlm" -> s.ntlm(opts.getOrDefault("domain", "CORP"), user, requirePassword(password));
            case "basic" -> s.basic(user, requirePassword(password));
            case "none" -> s.noAuth();
            default -> {
                System.err.println("--auth must be ntlm, basic or none");
                System.exit(2);
            }
        }
        ReportServer server = start(s);
        server.behaviour().renderDelay(Duration.ofMillis(Long.parseLong(opts.getOrDefault("render-delay-ms", "0"))));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close, "report-server-shutdown"));
        System.out.println("REPORT_SERVER_URL=" + server.baseUrl());
        System.out.println("REPORT_PATH=" + s.reportPath + " PLANTS=" + String.join(",", s.plants)
                + " ROWS_PER_HOUR=" + s.rowsPerHour + " AUTH=" + s.auth);
        System.out.flush();
        Thread.currentThread().join(); // until killed
    }

    private static String requirePassword(String password) {
        if (password == null || password.isEmpty()) {
            System.err.println("a password is required: --password or env FERRY_REPORT_PASSWORD");
            System.exit(2);
        }
        return password;
    }
}
