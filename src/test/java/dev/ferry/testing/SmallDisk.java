package dev.ferry.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * A real small disk for full-disk tests: a tmpfs of the given size mounted over a directory, unmounted on close.
 * Mounting needs root: without it the calling test is skipped (an assumption), never passed.
 */
public final class SmallDisk implements AutoCloseable {

    private final Path dir;

    private SmallDisk(Path dir) {
        this.dir = dir;
    }

    /** Mounts a tmpfs of {@code size} ({@code 1m}, {@code 64k}) over {@code dir}, created if missing. */
    public static SmallDisk mount(Path dir, String size) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        String failed = run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir.toString());
        assumeThat(failed).as("mounting a %s tmpfs over %s (needs root)", size, dir).isEmpty();
        return new SmallDisk(dir);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("umount", dir.toString());
    }

    /** Runs a command; its output when it failed, "" when it exited 0. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? "" : "exit " + p.exitValue() + ": " + out;
    }
}
