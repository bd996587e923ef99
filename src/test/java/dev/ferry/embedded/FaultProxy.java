package dev.ferry.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP forwarder between Ferry and a real server (S3Proxy, OpenSearch) that injects the faults a network and a
 * server produce, on the same port throughout:
 * <ul>
 *   <li>{@link #stall()}: connections stay open but no byte moves either way (a paused server, a black hole);</li>
 *   <li>{@link #refuse()} / {@link #restore()}: every connection dropped and new ones refused (a dead server);</li>
 *   <li>{@link #breakConnections()} / {@link #restore()}: every connection reset, and each new one reset as soon as it
 *       is accepted (a server or firewall dropping connections while the port still answers);</li>
 *   <li>{@link #cutAfter}: the connection carrying the given number of response bytes is reset right there;</li>
 *   <li>{@link #resetOnceAfter}: the connection carrying the given number of response bytes more, counted from now
 *       on all connections, is reset right there (an answer broken off midway on a reused connection);</li>
 *   <li>{@link #stallAfter}: that connection goes silent there (only it: a new connection works);</li>
 *   <li>{@link #closeIdleAfter}: a connection on which nothing moved for that long is closed, the way Jetty (S3Proxy)
 *       and S3 close a GET whose reader stopped reading;</li>
 *   <li>{@link #answer503}: every HTTP request answered 503 Service Unavailable (an overloaded server or a load
 *       balancer with no healthy node behind it).</li>
 * </ul>
 * Counters say which fault actually hit, so a test can prove the fault met its traffic.
 */
public final class FaultProxy implements AutoCloseable {

    private final InetSocketAddress target;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private volatile boolean stalled;
    private volatile boolean closed;
    private volatile boolean breaking;
    private final AtomicLong cutAfter = new AtomicLong(-1);
    private final AtomicLong resetAfterMoreBytes = new AtomicLong(-1);
    private final AtomicLong stallAfter = new AtomicLong(-1);
    private volatile long idleCloseMillis = -1;
    private volatile boolean answering503;
    private volatile long responseBytesPerSecond = -1;
    private final AtomicInteger answered503 = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private final AtomicInteger stallsHit = new AtomicInteger();
    private final AtomicInteger idleClosesMidResponse = new AtomicInteger();

    public FaultProxy(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        this.port = s.getLocalPort();
        listen(s);
        Thread reaper = new Thread(this::reapIdle, "fault-proxy-idle-" + port);
        reaper.setDaemon(true);
        reaper.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** host:port, as ferry.opensearch.hosts takes it. */
    public String hostAddress() {
        return "127.0.0.1:" + port;
    }

    /** No byte moves on any connection, old or new, until {@link #unstall()}. */
    public void stall() {
        stalled = true;
    }

    public void unstall() {
        stalled = false;
    }

    /** Drops every connection and refuses new ones (connection refused) until {@link #restore()}. */
    public synchronized void refuse() {
        closeQuietly(server);
        server = null;
        links.forEach(l -> l.close(true));
    }

    /**
     * Resets every open connection, and each new one as soon as it is accepted, until {@link #restore()}: unlike
     * {@link #refuse()}, connecting succeeds and the first read or write fails with a reset.
     */
    public void breakConnections() {
        breaking = true;
        links.forEach(l -> {
            broken.incrementAndGet();
            l.close(true);
        });
    }

    /** Ends {@link #refuse()} (listens again on the same port) and {@link #breakConnections()}. */
    public synchronized void restore() throws IOException {
        breaking = false;
        if (server == null) {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            listen(s);
        }
    }

    /** Once: the connection whose responses pass this many bytes (counted per connection) is reset at that point. */
    public void cutAfter(long responseBytes) {
        cutAfter.set(responseBytes);
    }

    /**
     * Once: after this many more response bytes, counted from now over all connections together, the connection
     * carrying them is reset at that point. Unlike {@link #cutAfter}, bytes a reused connection carried before do not
     * count, so the reset falls inside a response that starts after this call, not at the start of the next one.
     */
    public void resetOnceAfter(long moreResponseBytes) {
        resetAfterMoreBytes.set(moreResponseBytes);
    }

    /** Once: the connection whose responses pass this many bytes goes silent there; other connections work. */
    public void stallAfter(long responseBytes) {
        stallAfter.set(responseBytes);
    }

    /** Closes (FIN, as a server's idle timeout does) any connection on which nothing moved for this long. */
    public void closeIdleAfter(long millis) {
        idleCloseMillis = millis;
    }

    /** On: open connections are closed and every request on a new one is answered 503. Off: forwarding again. */
    public void answer503(boolean on) {
        answering503 = on;
        if (on) {
            links.forEach(l -> l.close(false));
        }
    }

    /**
     * Responses flow at most this fast, per connection, through a small send buffer. A reader that keeps up then never
     * lets the kernel grow its receive buffer, so when it stops reading, only a small part of a response (measured on
     * loopback here: under 600 KB, against about 4 MB otherwise) can wait in socket buffers.
     */
    public void limitResponseRate(long bytesPerSecond) {
        responseBytesPerSecond = bytesPerSecond;
    }

    public int answered503() { return answered503.get(); }
    public int accepted() { return accepted.get(); }
    /** Connections reset mid-response by {@link #cutAfter} or {@link #resetOnceAfter}. */
    public int cuts() { return cuts.get(); }
    /** Connections reset by {@link #breakConnections()}: open ones and new ones. */
    public int broken() { return broken.get(); }
    public int stallsHit() { return stallsHit.get(); }
    /** Idle closes that hit a connection with response bytes still waiting to be taken by the client. */
    public int idleClosesMidResponse() { return idleClosesMidResponse.get(); }

    private void listen(ServerSocket s) {
        server = s;
        Thread acceptor = new Thread(() -> accept(s), "fault-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept(ServerSocket s) {
        while (!closed && !s.isClosed()) {
            try {
                Socket client = s.accept();
                if (breaking) {
                    broken.incrementAndGet();
                    reset(client);
                    continue;
                }
                if (answering503) {
                    Thread t = new Thread(() -> answer503(client), "fault-proxy-503-" + port);
                    t.setDaemon(true);
                    t.start();
                    continue;
                }
                Socket upstream;
                try {
                    upstream = new Socket(target.getAddress(), target.getPort());
                } catch (IOException e) {
                    closeQuietly(client);
                    continue;
                }
                accepted.incrementAndGet();
                if (responseBytesPerSecond > 0) {
                    client.setSendBufferSize(32 * 1024); // or loopback lets ~4 MB of a response wait on this side
                }
                Link link = new Link(client, upstream);
                links.add(link);
                if (breaking) { // breakConnections() ran between the check above and links.add
                    broken.incrementAndGet();
                    link.close(true);
                    continue;
                }
                link.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads each request (headers, then a Content-Length body) and answers 503, until answering is switched off. */
    private void answer503(Socket client) {
        byte[] body = "{\"error\":\"no healthy upstream\",\"status\":503}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (client; InputStream in = new java.io.BufferedInputStream(client.getInputStream());
             OutputStream out = client.getOutputStream()) {
            while (answering503 && !closed) {
                StringBuilder head = new StringBuilder();
                int b;
                while (head.indexOf("\r\n\r\n") < 0 && (b = in.read()) >= 0) {
                    head.append((char) b);
                }
                if (head.indexOf("\r\n\r\n") < 0) {
                    return;
                }
                java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)\r\ncontent-length:\\s*(\\d+)")
                        .matcher(head);
                if (length.find()) {
                    in.skipNBytes(Long.parseLong(length.group(1)));
                }
                answered503.incrementAndGet();
                out.write(("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private void reapIdle() {
        while (!closed) {
            long idle = idleCloseMillis;
            if (idle > 0) {
                long now = System.nanoTime();
                for (Link l : links) {
                    if (now - l.lastMoved >= idle * 1_000_000L) {
                        if (l.writingDown) {
                            idleClosesMidResponse.incrementAndGet();
                        }
                        l.close(false);
                    }
                }
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One client connection and its upstream twin. */
    private final class Link {
        final Socket client;
        final Socket upstream;
        volatile long lastMoved = System.nanoTime();
        volatile boolean writingDown;
        volatile boolean silenced;
        long down;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            pipe(client, upstream, false);
            pipe(upstream, client, true);
        }

        private void pipe(Socket from, Socket to, boolean downstream) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[16 * 1024];
                long started = System.nanoTime();
                long sent = 0;
                try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        int off = 0;
                        if (downstream) {
                            long cut = cutAfter.get();
                            if (cut >= 0 && down + n > cut && cutAfter.compareAndSet(cut, -1)) {
                                out.write(buffer, 0, (int) Math.max(0, cut - down));
                                out.flush();
                                cuts.incrementAndGet();
                                close(true);
                                return;
                            }
                            int pass = passBeforeReset(n);
                            if (pass < n) {
                                out.write(buffer, 0, pass);
                                out.flush();
                                cuts.incrementAndGet();
                                close(true);
                                return;
                            }
                            long stallAt = stallAfter.get();
                            if (stallAt >= 0 && down + n > stallAt && stallAfter.compareAndSet(stallAt, -1)) {
                                out.write(buffer, 0, (int) Math.max(0, stallAt - down));
                                out.flush();
                                stallsHit.incrementAndGet();
                                silenced = true;
                            }
                            down += n;
                        }
                        while ((stalled || silenced) && !closed && !from.isClosed()) {
                            Thread.sleep(10);
                        }
                        if (downstream) {
                            writingDown = true;
                        }
                        out.write(buffer, off, n);
                        out.flush();
                        writingDown = false;
                        lastMoved = System.nanoTime();
                        long rate = responseBytesPerSecond;
                        if (downstream && rate > 0) {
                            sent += n;
                            long due = started + sent * 1_000_000_000L / rate; // when these bytes may have gone
                            long wait = (due - System.nanoTime()) / 1_000_000;
                            if (wait > 0) {
                                Thread.sleep(wait);
                                lastMoved = System.nanoTime(); // pacing is not idling
                            }
                        }
                    }
                } catch (IOException | InterruptedException ignored) {
                    // one side closed, or a fault closed both
                } finally {
                    close(false);
                }
            }, "fault-proxy-pipe-" + port);
            t.setDaemon(true);
            t.start();
        }

        /** How many of {@code n} response bytes go through before the armed {@link #resetOnceAfter} (all if none). */
        private int passBeforeReset(int n) {
            while (true) {
                long left = resetAfterMoreBytes.get();
                if (left < 0) {
                    return n;
                }
                if (left < n ? resetAfterMoreBytes.compareAndSet(left, -1)
                        : resetAfterMoreBytes.compareAndSet(left, left - n)) {
                    return (int) Math.min(left, n);
                }
            }
        }

        /** reset: RST (a reset or dead server) instead of FIN (a server closing the connection). */
        void close(boolean reset) {
            links.remove(this);
            if (reset) {
                reset(client);
            }
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    /** Closes with a TCP reset (SO_LINGER 0), as a server or firewall dropping the connection does. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        closed = true;
        refuse();
    }
}
