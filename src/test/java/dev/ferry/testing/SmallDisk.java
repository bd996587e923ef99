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

    /**
     * Unmounts it. A file the code under test closes a moment late (a stopping thread) makes the disk busy for that
     * moment: tried again for up to 10 s, then detached lazily ({@code umount -l}, the directory empty at once), so the
     * test's temporary directory can be deleted. Failing that, the failure says why.
     */
    @Override
    public void close() throws IOException, InterruptedException {
        String failed = run("umount", dir.toString());
        if (!failed.isEmpty()) { // for the test's log: which of this JVM's files kept it busy, if any
            System.err.println("SmallDisk: " + dir + " busy (" + failed.trim() + "); open in this JVM: " + openFilesUnder());
        }
        for (int i = 0; !failed.isEmpty() && i < 100; i++) {
            Thread.sleep(100);
            failed = run("umount", dir.toString());
        }
        if (!failed.isEmpty()) {
            String lazily = run("umount", "-l", dir.toString());
            if (!lazily.isEmpty()) {
                throw new IOException("could not unmount the small disk at " + dir + ": " + failed + "; umount -l: " + lazily);
            }
        }
    }

    private String openFilesUnder() {
        StringBuilder open = new StringBuilder();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if (target.startsWith(dir)) {
                        open.append(target).append(' ');
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            });
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return open.isEmpty() ? "none" : open.toString().trim();
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
