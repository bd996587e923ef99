package dev.ferry.testing;

import dev.ferry.config.FerryConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Ferry's packaged layout (target/ferry, or -Dferry.dist) started as an operator starts it: {@code bin/ferry} with the
 * settings as environment variables (ferry.a-b.c becomes FERRY_A_B_C), -Xmx256m, a free management port on
 * 127.0.0.1. bin/ferry execs java, so {@link Process#destroyForcibly()} is a SIGKILL to the JVM itself.
 */
public final class PackagedFerry {

    private PackagedFerry() {
    }

    /** The layout's root; fails the test when it has not been built (mvn package). */
    public static Path layout() {
        Path dist = Path.of(System.getProperty("ferry.dist", "target/ferry"));
        if (!Files.isExecutable(dist.resolve("bin/ferry"))) {
            throw new IllegalStateException(dist.resolve("bin/ferry") + " is missing: run mvn package (ITs run after it)");
        }
        return dist;
    }

    /** Starts bin/ferry in {@code workDir}, stdout and stderr to {@code log}. */
    public static Process start(Path workDir, Path log, Map<String, String> settings) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(layout().resolve("bin/ferry").toAbsolutePath().toString());
        pb.directory(workDir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        settings.forEach((k, v) -> pb.environment().put(FerryConfig.envName(k), v));
        pb.environment().putIfAbsent("FERRY_MANAGEMENT_PORT", String.valueOf(FerryUnderTest.freePort()));
        pb.environment().putIfAbsent("CAMEL_MANAGEMENT_HOST", "127.0.0.1");
        pb.environment().put("JAVA_OPTS", "-Xmx256m");
        return pb.start();
    }

    /** The log so far ("" before the process wrote one). */
    public static String read(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }
}
