package dev.ferry;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.util.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ferry's additions to Camel's management server ({@code /observe/*}): its own {@code /observe/info}, with what an
 * operator needs and nothing about the host (Camel's names the OS user, the working and home directories and the pid
 * to anyone who reaches the port), and optional Basic authentication for everything but the health probes.
 * <p>
 * The server listens on {@code ferry.management.host} (every interface by default: Prometheus and the Kubernetes
 * probes reach a pod on its pod IP, not on loopback). With {@code ferry.management.user} and
 * {@code ferry.management.password} set, every path except {@code /observe/health} (and below: Kubernetes probes send
 * no credentials) answers 401 without them.
 */
public final class ObserveEndpoints {

    private static final Logger LOG = LoggerFactory.getLogger(ObserveEndpoints.class);
    /** Before every route Camel adds (Vert.x runs lower orders first). */
    private static final int AUTH_ORDER = -10_000;

    private final CamelContext context;
    private final PropertiesComponent pc;

    private ObserveEndpoints(CamelContext context) {
        this.context = context;
        this.pc = context.getPropertiesComponent();
    }

    /** Adds Ferry's info and the authentication check once Camel's management server runs. */
    static void install(CamelContext context) throws Exception {
        ObserveEndpoints endpoints = new ObserveEndpoints(context);
        context.addStartupListener((ctx, alreadyStarted) -> endpoints.addToServer());
    }

    private void addToServer() {
        ManagementHttpServer server = context.hasService(ManagementHttpServer.class);
        if (server == null) {
            return; // camel.management.enabled=false: nothing listens
        }
        VertxPlatformHttpRouter router = server.getRouter();
        if (router == null) {
            router = VertxPlatformHttpRouter.lookup(context, VertxPlatformHttpRouter.getRouterNameFromPort(server.getPort()));
        }
        String healthPath = stripSlash(orElse(server.getHealthPath(), "/observe/health"));
        String user = setting("ferry.management.user");
        String password = setting("ferry.management.password");
        if (user != null && password != null) {
            byte[] expected = ("Basic " + Base64.getEncoder().encodeToString(
                    (user + ":" + password).getBytes(StandardCharsets.UTF_8))).getBytes(StandardCharsets.UTF_8);
            router.route().order(AUTH_ORDER).handler(rc -> authenticate(rc, healthPath, expected));
        }
        // Matched on the request's whole path: the management router's own route paths are resolved against a
        // mount point that differs between Camel's routes and routes added afterwards.
        String infoPath = stripSlash(orElse(server.getInfoPath(), "/observe/info"));
        router.route().order(AUTH_ORDER + 1).handler(rc -> {
            if (rc.request().method() == HttpMethod.GET && infoPath.equals(rc.normalizedPath())) {
                info(rc);
            } else {
                rc.next();
            }
        });
        LOG.info("/observe on {}:{}: {}", server.getHost(), server.getPort(), user != null && password != null
                ? "Basic authentication except " + healthPath
                : "no authentication (set ferry.management.user and ferry.management.password to require it)");
    }

    private static void authenticate(RoutingContext rc, String healthPath, byte[] expected) {
        String path = rc.normalizedPath();
        if (path.equals(healthPath) || path.startsWith(healthPath + "/")) {
            rc.next();
            return;
        }
        String given = rc.request().getHeader("Authorization");
        if (given != null && MessageDigest.isEqual(given.trim().getBytes(StandardCharsets.UTF_8), expected)) {
            rc.next();
            return;
        }
        rc.response().setStatusCode(401).putHeader("WWW-Authenticate", "Basic realm=\"ferry\"").end();
    }

    private void info(RoutingContext rc) {
        JsonObject root = new JsonObject();
        JsonObject ferry = new JsonObject();
        ferry.put("version", version());
        ferry.put("profile", pc.resolveProperty("ferry.profile").orElse("prod"));
        Map<String, Object> pipelines = new LinkedHashMap<>();
        for (Pipeline p : Pipeline.values()) {
            pipelines.put(p.id(), Boolean.parseBoolean(pc.resolveProperty(p.enabledKey()).orElse("false")));
        }
        ferry.put("pipelines", new JsonObject(pipelines));
        ferry.put("uptimeSeconds", context.getUptime().toSeconds());
        root.put("ferry", ferry);
        JsonObject camel = new JsonObject();
        camel.put("name", context.getName());
        camel.put("version", context.getVersion());
        camel.put("status", context.getStatus().name());
        root.put("camel", camel);
        JsonObject java = new JsonObject();
        java.put("version", System.getProperty("java.version"));
        root.put("java", java);
        rc.response().putHeader("content-type", "application/json").end(root.toJson());
    }

    static String version() {
        String v = Ferry.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }

    private String setting(String key) {
        return dev.ferry.config.Setting.optional(pc, key);
    }

    private static String orElse(String value, String otherwise) {
        return value == null || value.isBlank() ? otherwise : value;
    }

    private static String stripSlash(String path) {
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }
}
