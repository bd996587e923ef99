package dev.ferry.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/** Where the harness keeps its files, and which JDK runs what. */
public final class EmbeddedPaths {

    private EmbeddedPaths() {
    }

    /**
     * {@code target/embedded} of the project: {@code -Dferry.embedded.dir} if set, else under
     * {@code basedir} (set by surefire) or the working directory.
     */
    public static Path root() {
        String explicit = System.getProperty("ferry.embedded.dir");
        if (explicit != null) {
            return Path.of(explicit).toAbsolutePath();
        }
        String basedir = System.getProperty("basedir", System.getProperty("user.dir"));
        return Path.of(basedir, "target", "embedded").toAbsolutePath();
    }

    public static Path logs() {
        return root().resolve("logs");
    }

    /** A fresh, empty working directory {@code target/embedded/run/<name>}. */
    static Path freshRunDir(String name) {
        Path dir = root().resolve("run").resolve(name);
        ChildProcess.deleteTree(dir);
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The java launcher of the running JVM. */
    public static Path currentJava() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /**
     * A java launcher of feature version {@code minFeature} or newer: the running JVM if it qualifies,
     * else {@code -Dferry.embedded.jdk<minFeature>=<home>}, else the oldest qualifying JDK under
     * {@code /usr/lib/jvm}, {@code /opt/java}, {@code /opt} or {@code ~/.sdkman/candidates/java}.
     */
    public static Optional<Path> javaAtLeast(int minFeature) {
        if (Runtime.version().feature() >= minFeature) {
            return Optional.of(currentJava());
        }
        String explicit = System.getProperty("ferry.embedded.jdk" + minFeature);
        if (explicit != null) {
            return Optional.of(Path.of(explicit, "bin", "java"));
        }
        TreeMap<Integer, Path> found = new TreeMap<>();
        for (String parent : new String[] {"/usr/lib/jvm", "/opt/java", "/opt",
                System.getProperty("user.home") + "/.sdkman/candidates/java"}) {
            Path dir = Path.of(parent);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> homes = Files.newDirectoryStream(dir)) {
                for (Path home : homes) {
                    int feature = featureOf(home);
                    if (feature >= minFeature && Files.isExecutable(home.resolve("bin/java"))) {
                        found.putIfAbsent(feature, home.resolve("bin/java").toRealPath());
                    }
                }
            } catch (IOException ignored) {
                // unreadable directory: skip
            }
        }
        return found.isEmpty() ? Optional.empty() : Optional.of(found.firstEntry().getValue());
    }

    private static int featureOf(Path javaHome) {
        Path release = javaHome.resolve("release");
        if (!Files.isRegularFile(release)) {
            return -1;
        }
        try (var in = Files.newBufferedReader(release)) {
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("JAVA_VERSION", "").replace("\"", "");
            if (v.startsWith("1.")) {
                v = v.substring(2);
            }
            int end = 0;
            while (end < v.length() && Character.isDigit(v.charAt(end))) {
                end++;
            }
            return end == 0 ? -1 : Integer.parseInt(v.substring(0, end));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
