package dev.ferry;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.MaskingLayout;
import dev.ferry.config.Secrets;
import dev.ferry.config.SettingsValidator;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;

/**
 * One Ferry process: Camel Main configured from a validated {@link FerryConfig}. The launcher runs it until it is
 * stopped; tests and local mode start it, use its {@link CamelContext}, and close it.
 */
public final class Ferry implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Ferry.class);

    private final FerryConfig config;
    private final Main main;
    private final ExitStatus exitStatus = new ExitStatus();

    private Ferry(FerryConfig config) {
        this.config = config;
        this.main = new Main();
        // Settings come from Ferry's own file (profile applied); Camel still lets environment variables override them.
        main.setInitialProperties(config.fileProperties());
        config.overrides().forEach(main::addOverrideProperty);
        main.bind(ExitStatus.BEAN, exitStatus);
        exitStatus.stopWith(main::completed);
        String excluded = disabledPipelineRoutes(config);
        if (!excluded.isEmpty()) {
            main.addOverrideProperty(ROUTE_FILTER_EXCLUDE, excluded);
        }
    }

    static final String ROUTE_FILTER_EXCLUDE = "camel.main.route-filter-exclude-pattern";

    /**
     * A switched-off pipeline's routes are not created at all (its route ids all start with the pipeline id). Merely
     * not starting them is not enough: Camel 4.17's route reload does not remove routes that never started and then
     * fails on their ids as duplicates.
     */
    static String disabledPipelineRoutes(FerryConfig config) {
        java.util.List<String> patterns = new java.util.ArrayList<>();
        String own = config.get(ROUTE_FILTER_EXCLUDE);
        if (own != null && !own.isBlank()) {
            patterns.add(own);
        }
        for (Pipeline pipeline : Pipeline.values()) {
            if (!"true".equalsIgnoreCase(config.get(pipeline.enabledKey()))) {
                patterns.add(pipeline.id() + "-*");
            }
        }
        return String.join(",", patterns);
    }

    /** Validates the settings, then prepares (does not start) the Camel application. */
    public static Ferry create(FerryConfig config) {
        // Before anything logs a setting: every secret value is masked in every console line from here on.
        Secrets.register(Secrets.of(config));
        MaskingLayout.install();
        settingsRules(config).validate(config);
        LOG.info("Settings (profile {}, file {}):", config.profile(), config.file().toAbsolutePath());
        config.summary().forEach(line -> LOG.info("    {}", line));
        logWhereToEdit(config);
        return new Ferry(config);
    }

    /** Every rule the settings must pass: Ferry's own, and those of each enabled pipeline. */
    public static SettingsValidator settingsRules(FerryConfig config) {
        SettingsValidator v = SettingsValidator.commonRules(config);
        // one line per pipeline, checked only when that pipeline is enabled
        if (enabled(config, Pipeline.REPORT_TO_SQL)) { dev.ferry.report.ReportToSqlSettings.addRules(v); }
        if (enabled(config, Pipeline.OPENSEARCH_TO_S3)) { dev.ferry.dump.OpenSearchToS3Settings.addRules(v); }
        if (enabled(config, Pipeline.S3_TO_OPENSEARCH)) { dev.ferry.s3.S3ToOpenSearchSettings.addRules(v); }
        if (enabled(config, Pipeline.DIR_TO_S3)) { dev.ferry.dirsync.DirToS3Settings.addRules(v); }
        return v;
    }

    private static boolean enabled(FerryConfig config, Pipeline pipeline) {
        return "true".equalsIgnoreCase(config.get(pipeline.enabledKey()));
    }

    /** One line an operator can act on: the files this process reads, and how an edit of each takes effect. */
    private static void logWhereToEdit(FerryConfig config) {
        String routesDir = config.get("ferry.routes-dir");
        boolean reload = "true".equalsIgnoreCase(config.get("camel.main.routes-reload-enabled"));
        LOG.info("Routes from {} ({}); configuration from {} (an edit takes effect at the next start)",
                routesDir == null ? "(ferry.routes-dir not set)" : java.nio.file.Path.of(routesDir).toAbsolutePath(),
                reload ? "reloaded when a route file there changes" : "read at start: restart to apply an edit",
                config.file().toAbsolutePath());
    }

    /** Starts Camel and returns once every route is started; the caller stops it with {@link #close()}. */
    public Ferry start() throws Exception {
        main.start();
        return this;
    }

    /**
     * Runs until shutdown (SIGTERM, Ctrl-C, a configured max duration, or the end of a one-shot run) and returns the
     * exit code: the one a one-shot run asked for ({@link ExitStatus}), else Camel's.
     */
    public int run() throws Exception {
        main.run();
        return exitStatus.code().orElse(main.getExitCode());
    }

    /** The exit code a one-shot run asked for, once it has. */
    public ExitStatus exitStatus() {
        return exitStatus;
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    public FerryConfig config() {
        return config;
    }

    @Override
    public void close() {
        main.stop();
    }
}
