package dev.ferry;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import dev.ferry.config.Secrets;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Ferry's entry point. Usage: {@code ferry [--config=application.properties] [--profile=prod|dev|local] [key=value ...]}.
 * The configuration file defaults to {@code $FERRY_CONFIG}, else {@code application.properties} in the working
 * directory; the routes are read from {@code ferry.routes-dir} at run time, so an edited route needs no rebuild.
 * Exit codes: 0 after a clean shutdown, 1 when Camel failed, 2 when a setting is missing or invalid.
 */
public final class FerryApplication {

    public static final int EXIT_INVALID_SETTINGS = 2;

    private FerryApplication() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    static int run(String[] args, Map<String, String> environment) {
        String configFile = environment.getOrDefault("FERRY_CONFIG", "application.properties");
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
                System.err.println("Unknown argument: " + arg
                        + "\nUsage: ferry [--config=application.properties] [--profile=prod|dev|local] [key=value ...]");
                return EXIT_INVALID_SETTINGS;
            }
        }
        Ferry ferry;
        try {
            ferry = Ferry.create(FerryConfig.load(Path.of(configFile), profile, environment, overrides));
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
}
