package dev.ferry.examples;

import dev.ferry.testing.FerryUnderTest;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.common.FlowStyle;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A cookbook example from {@code examples/<name>/} applied the way its README tells an operator to apply it: every
 * route (or route configuration) the example's {@code *.camel.yaml} defines replaces the one of the same id in a copy of
 * {@code routes/}; routes with new ids are added beside them. Its {@code example.properties}, if any, are settings.
 */
public final class ExampleRoutes {

    public static final Path EXAMPLES = FerryUnderTest.PROJECT_DIR.resolve("examples");
    private static final Path ROUTES = FerryUnderTest.PROJECT_DIR.resolve("routes");
    private static final List<String> KINDS = List.of("route", "routeConfiguration");

    private final Path routesDir;
    private final Set<String> replaced;
    private final Map<String, String> settings;

    private ExampleRoutes(Path routesDir, Set<String> replaced, Map<String, String> settings) {
        this.routesDir = routesDir;
        this.replaced = replaced;
        this.settings = settings;
    }

    /** Writes routes/ with the example applied into {@code dir} (which must exist). */
    public static ExampleRoutes apply(String example, Path dir) {
        return apply(EXAMPLES.resolve(example), dir);
    }

    /** The same with route files from anywhere (a test's own route edit). */
    public static ExampleRoutes apply(Path exampleDir, Path dir) {
        if (!Files.isDirectory(exampleDir)) {
            throw new IllegalArgumentException("no example " + exampleDir);
        }
        List<Path> exampleFiles = yamlFiles(exampleDir);
        Set<String> exampleIds = new LinkedHashSet<>();
        for (Path file : exampleFiles) {
            for (Object element : load(file)) {
                String id = idOf(element);
                if (id != null) {
                    exampleIds.add(id);
                }
            }
        }
        Set<String> replaced = new LinkedHashSet<>();
        Dump dump = new Dump(DumpSettings.builder().setDefaultFlowStyle(FlowStyle.BLOCK).build());
        try {
            for (Path file : yamlFiles(ROUTES)) {
                List<Object> kept = new ArrayList<>();
                for (Object element : load(file)) {
                    String id = idOf(element);
                    if (id != null && exampleIds.contains(id)) {
                        replaced.add(id);
                    } else {
                        kept.add(element);
                    }
                }
                Files.writeString(dir.resolve(file.getFileName()), kept.isEmpty() ? "[]\n" : dump.dumpToString(kept));
            }
            for (Path file : exampleFiles) {
                Files.copy(file, dir.resolve("example-" + exampleDir.getFileName() + "-" + file.getFileName()));
            }
            Map<String, String> settings = new HashMap<>();
            Path properties = exampleDir.resolve("example.properties");
            if (Files.exists(properties)) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(properties)) {
                    p.load(in);
                }
                p.stringPropertyNames().forEach(k -> settings.put(k, p.getProperty(k).trim()));
            }
            return new ExampleRoutes(dir, replaced, settings);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The routes directory to start Ferry with ({@code ferry.routes-dir}). */
    public Path routesDir() {
        return routesDir;
    }

    /** Ids of the stock routes the example replaced (an example that meant to replace a route but replaced none is broken). */
    public Set<String> replaced() {
        return replaced;
    }

    /** The example's settings, plus {@code ferry.routes-dir}: merge them into a test's overrides. */
    public Map<String, String> settings() {
        Map<String, String> all = new HashMap<>(settings);
        all.put("ferry.routes-dir", routesDir.toString());
        return all;
    }

    private static List<Path> yamlFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".camel.yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> load(Path file) {
        try {
            Object doc = new Load(LoadSettings.builder().build()).loadFromString(Files.readString(file));
            return doc == null ? List.of() : (List<Object>) doc;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static String idOf(Object element) {
        if (element instanceof Map<?, ?> map) {
            for (String kind : KINDS) {
                if (map.get(kind) instanceof Map<?, ?> body && body.get("id") != null) {
                    return kind + ":" + body.get("id");
                }
            }
        }
        return null;
    }
}
