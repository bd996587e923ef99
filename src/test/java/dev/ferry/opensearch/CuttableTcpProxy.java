package dev.ferry.opensearch;

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

/**
 * A TCP forwarder in front of a real server (S3Proxy, an OpenSearch node) that a test can cut: open connections are
 * dropped and new ones refused, the way a network partition or a dead endpoint looks to a client. {@link #cut()} is
 * for good; {@link #breakConnections()} and {@link #restore()} make an outage that ends.
 */
final class CuttableTcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean cut;
    private volatile boolean down;
    private final java.util.concurrent.atomic.AtomicLong resetAfterBytes = new java.util.concurrent.atomic.AtomicLong(-1);

    CuttableTcpProxy(URI target) throws IOException {
        this.target = new InetSocketAddress(target.getHost(), target.getPort());
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "cuttable-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    private void accept() {
        while (!cut) {
            try {
                Socket client = server.accept();
                if (down) {
                    reset(client);
                    continue;
                }
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                sockets.add(client);
                sockets.add(upstream);
                pipe(client, upstream, false);
                pipe(upstream, client, true);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pipe(Socket from, Socket to, boolean toClient) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[32 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    int pass = toClient ? passBeforeReset(n) : n;
                    out.write(buffer, 0, pass);
                    out.flush();
                    if (pass < n) { // the answer breaks off here
                        reset(from);
                        reset(to);
                        return;
                    }
                }
            } catch (IOException ignored) {
                // one side closed or the proxy was cut
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "cuttable-proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    /** Drops every connection and refuses new ones. */
    void cut() {
        cut = true;
        closeQuietly(server);
        sockets.forEach(CuttableTcpProxy::closeQuietly);
    }

    // ---- an outage that ends (kept apart from cut(), which is for good)

    /** Resets every open connection, and each new one as it comes, until {@link #restore()}. */
    void breakConnections() {
        down = true;
        sockets.forEach(CuttableTcpProxy::reset);
    }

    /**
     * Once {@code bytes} more bytes have gone from the server to a client (on any connection), that connection is
     * reset in the middle of what it was sending: an answer cut off midway. Once only.
     */
    void resetOnceAfter(long bytes) {
        resetAfterBytes.set(bytes);
    }

    /** How many of {@code n} bytes go through before the armed reset (all of them when none is armed). */
    private int passBeforeReset(int n) {
        while (true) {
            long left = resetAfterBytes.get();
            if (left < 0) {
                return n;
            }
            if (left < n ? resetAfterBytes.compareAndSet(left, -1) : resetAfterBytes.compareAndSet(left, left - n)) {
                return (int) Math.min(left, n);
            }
        }
    }

    /** New connections reach the server again. */
    void restore() {
        down = false;
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
            c.close();
        } catch (Exception ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        cut();
    }
}
