package dev.ferry;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import dev.ferry.config.Secrets;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Ferry's entry point. Usage: {@code ferry [--config=application.properties] [--profile=prod|dev|local] [key=value ...]}.
 * Exit codes: 0 after a clean shutdown, 1 when Camel failed, 2 when a setting is missing or invalid.
 * <p>
 * Where the files come from ({@link #configure}): {@code application.properties} and the routes directory are each
 * taken from the working directory when it has them, else from {@code $FERRY_HOME} (set by {@code bin/ferry} to its
 * installation). So {@code target/ferry/bin/ferry} started in a checkout reads and watches the checkout's
 * {@code routes/}, not the copies under {@code target/}, while an installation or the container image ({@code /app})
 * reads its own. {@code --config}, {@code FERRY_CONFIG} and an absolute {@code ferry.routes-dir} name them outright.
 */
public final class FerryApplication {

    public static final int EXIT_INVALID_SETTINGS = 2;
    static final String USAGE = "Usage: ferry [--config=application.properties] [--profile=prod|dev|local] [key=value ...]";
    static final String ROUTES_DIR = "ferry.routes-dir";

    private FerryApplication() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> environment) {
        Ferry ferry;
        try {
            ferry = Ferry.create(configure(args, environment, Path.of("").toAbsolutePath()));
        } catch (InvalidSettingException e) {
            System.err.println(Secrets.mask(e.getMessage()));
            return EXIT_INVALID_SETTINGS;
        }
        try {
            return ferry.run();
        } catch (Exception e) {
            System.err.println(Secrets.mask("Ferry failed: " + e.getMessage()));
            return 1;
        }
    }

    /**
     * The configuration the command line, the environment and the working directory select, with
     * {@code ferry.routes-dir} made absolute (so start-up logs, Camel's route loading and dev-profile reload all use
     * the same directory whatever the working directory).
     */
    static FerryConfig configure(String[] args, Map<String, String> environment, Path workDir) {
        String configFile = environment.get("FERRY_CONFIG");
        String profile = null;
        Map<String, String> overrides = new HashMap<>();
        for (String arg : args) {
            if (arg.startsWith("--config=")) {
                configFile = arg.substring("--config=".length());
            } else if (arg.startsWith("--profile=")) {
                profile = arg.substring("--profile=".length());
            } else if (arg.contains("=") && !arg.startsWith("-")) {
                overrides.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
            } else {
                throw new InvalidSettingException("Unknown argument: " + arg + "\n" + USAGE);
            }
        }
        Path home = blank(environment.get("FERRY_HOME")) ? null : workDir.resolve(environment.get("FERRY_HOME"));
        Path file = blank(configFile) ? fromWorkDirElseHome(workDir, home, Path.of("application.properties"))
                : workDir.resolve(configFile);
        FerryConfig config = FerryConfig.load(file.normalize(), profile, environment, overrides);
        String routesDir = config.get(ROUTES_DIR);
        if (blank(routesDir)) {
            return config; // the settings validation names the missing setting
        }
        Path routes = fromWorkDirElseHome(workDir, home, Path.of(routesDir)).normalize();
        overrides.put(ROUTES_DIR, routes.toString());
        return FerryConfig.load(file.normalize(), profile, environment, overrides);
    }

    /** An absolute path as is; a relative one in the working directory when it exists there, else in FERRY_HOME. */
    private static Path fromWorkDirElseHome(Path workDir, Path home, Path path) {
        Path inWorkDir = workDir.resolve(path);
        if (path.isAbsolute() || home == null || Files.exists(inWorkDir)) {
            return inWorkDir;
        }
        return home.resolve(path);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
