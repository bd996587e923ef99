package dev.ferry.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A child process started through {@link ParentWatchdog}, with its output in a log file under
 * {@code target/embedded/logs/}. Closing it closes the child's stdin (the watchdog then ends the child)
 * and waits for it to exit. A single JVM shutdown hook closes every child still running.
 */
public final class ChildProcess implements AutoCloseable {

    /** A readiness check: true when ready; may throw while the service is still starting. */
    @FunctionalInterface
    public interface Probe {
        boolean ready() throws Exception;
    }

    private static final Set<ChildProcess> LIVE = ConcurrentHashMap.newKeySet();

    private static final Thread CLOSE_ALL_HOOK = new Thread(ChildProcess::closeAll, "ferry-embedded-children");

    static {
        Runtime.getRuntime().addShutdownHook(CLOSE_ALL_HOOK);
    }

    /** No closing at JVM shutdown: the caller closes (see EmbeddedServices#closeOnlyWhenAsked); watchdogs remain. */
    static void closeOnlyWhenAsked() {
        try {
            Runtime.getRuntime().removeShutdownHook(CLOSE_ALL_HOOK);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs already
        }
    }

    private final String name;
    private final Process process;
    private final OutputStream stdin;
    private final Path log;

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.stdin = process.getOutputStream();
        this.log = log;
    }

    /** Starts {@code java [jvmArgs] -cp watchdog:classpath ParentWatchdog mainClass args}. */
    public static ChildProcess java(String name, Path javaExecutable, List<String> jvmArgs, String classpath,
                                    String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toString());
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(watchdogClasspath() + java.io.File.pathSeparator + classpath);
        command.add(ParentWatchdog.class.getName());
        command.add(mainClass);
        command.addAll(args);
        return start(name, command);
    }

    /** Starts a native command under the watchdog; {@code stopSignal} (e.g. "INT") is what it gets when we go. */
    public static ChildProcess command(String name, String stopSignal, List<String> commandLine) {
        List<String> command = new ArrayList<>();
        command.add(EmbeddedPaths.currentJava().toString());
        command.add("-Xmx16m");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-Dferry.watchdog.signal=" + stopSignal);
        command.add("-cp");
        command.add(watchdogClasspath());
        command.add(ParentWatchdog.class.getName());
        command.add("--exec");
        command.addAll(commandLine);
        return start(name, command);
    }

    private static ChildProcess start(String name, List<String> command) {
        Path log = EmbeddedPaths.logs().resolve(name + ".log");
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "# " + String.join(" ", command) + System.lineSeparator());
            // In a session of its own: Ctrl-C in a terminal signals the whole foreground process group, and a child
            // dying on it before the JVM's shutdown hook stopped its users (local mode's Ferry) is what they report.
            // The watchdog still ends the child when this JVM goes.
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                command = new ArrayList<>(command);
                command.add(0, "/usr/bin/setsid");
            }
            Process process = new ProcessBuilder(command)
                    .directory(EmbeddedPaths.root().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            ChildProcess child = new ChildProcess(name, process, log);
            LIVE.add(child);
            return child;
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + command, e);
        }
    }

    /** Polls {@code probe} until it answers true; fails with the log's tail on timeout or child exit. */
    public void awaitReady(Duration timeout, Probe probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            if (!process.isAlive()) {
                throw failure(name + " exited with code " + process.exitValue() + " before it was ready", last);
            }
            try {
                if (probe.ready()) {
                    return;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                close();
                throw failure(name + " not ready after " + timeout.toSeconds() + " s", last);
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw failure(name + ": interrupted while waiting for readiness", e);
            }
        }
    }

    /** An exception whose message ends with the last lines of the child's log. */
    public IllegalStateException failure(String message, Throwable cause) {
        return new IllegalStateException(message + (cause == null ? "" : " (last probe error: " + cause + ")")
                + "\n--- last lines of " + log + " ---\n" + tail(log, 40), cause);
    }

    public static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** This process and all its descendants, as seen now. */
    public List<ProcessHandle> processTree() {
        List<ProcessHandle> tree = new ArrayList<>();
        tree.add(process.toHandle());
        process.toHandle().descendants().forEach(tree::add);
        return tree;
    }

    public Path log() {
        return log;
    }

    /** Closes the child's stdin so the watchdog ends it, and waits (up to 20 s, then SIGKILL). */
    @Override
    public void close() {
        closeStdin();
        awaitExit();
    }

    private void closeStdin() {
        try {
            stdin.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    private void awaitExit() {
        List<ProcessHandle> tree = processTree();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        tree.forEach(ProcessHandle::destroyForcibly); // orphans, if any (normally none)
        LIVE.remove(this);
    }

    /** Closes every child still running (local mode, after Ferry stopped). */
    public static void closeAll() {
        List<ChildProcess> children = new ArrayList<>(LIVE);
        children.forEach(ChildProcess::closeStdin); // all children stop in parallel
        children.forEach(ChildProcess::awaitExit);
    }

    /** Deletes a directory tree, ignoring what cannot be deleted. */
    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /** A directory holding only ParentWatchdog.class, so children never see the rest of the test classes. */
    private static synchronized String watchdogClasspath() {
        Path dir = EmbeddedPaths.root().resolve("watchdog");
        Path target = dir.resolve(ParentWatchdog.class.getName().replace('.', '/') + ".class");
        try (InputStream in = ParentWatchdog.class.getResourceAsStream(ParentWatchdog.class.getSimpleName() + ".class")) {
            if (in == null) {
                throw new IllegalStateException("ParentWatchdog.class not found as a resource");
            }
            byte[] bytes = in.readAllBytes();
            if (!Files.exists(target) || !java.util.Arrays.equals(Files.readAllBytes(target), bytes)) {
                Files.createDirectories(target.getParent());
                Path tmp = Files.createTempFile(target.getParent(), "watchdog", ".tmp");
                Files.write(tmp, bytes);
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            return dir.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
