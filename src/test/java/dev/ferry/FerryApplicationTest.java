package dev.ferry;

import dev.ferry.config.FerryConfig;
import dev.ferry.config.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which application.properties and routes directory the launcher picks: each from the working directory when it has
 * one, else from FERRY_HOME (bin/ferry's installation); named ones win. The README's "Where to edit" states this rule.
 */
class FerryApplicationTest {

    @TempDir
    Path tmp;

    private Path layout(String name, boolean properties, boolean routes) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        if (properties) {
            Files.writeString(dir.resolve("application.properties"), """
                    ferry.routes-dir = routes
                    %dev.camel.main.routes-reload-enabled = true
                    """);
        }
        if (routes) {
            Files.createDirectories(dir.resolve("routes"));
        }
        return dir;
    }

    private static FerryConfig configure(Path workDir, Map<String, String> env, String... args) {
        return FerryApplication.configure(args, env, workDir);
    }

    @Test
    void aCheckoutStartedThroughTheInstalledScriptReadsTheCheckoutsFiles() throws IOException {
        Path checkout = layout("checkout", true, true);
        Path home = layout("checkout/target/ferry", true, true);
        FerryConfig config = configure(checkout, Map.of("FERRY_HOME", home.toString()), "--profile=dev");
        assertThat(config.file()).isEqualTo(checkout.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(checkout.resolve("routes").toString());
        assertThat(config.get("camel.main.routes-reload-enabled")).isEqualTo("true");
    }

    @Test
    void elsewhereTheInstallationsOwnFilesAreRead() throws IOException {
        Path home = layout("opt/ferry", true, true);
        FerryConfig config = configure(layout("somewhere", false, false), Map.of("FERRY_HOME", home.toString()));
        assertThat(config.file()).isEqualTo(home.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(home.resolve("routes").toString());
    }

    @Test
    void eachFileIsLookedUpOnItsOwn() throws IOException {
        Path home = layout("opt/ferry", true, true);
        Path onlyProperties = layout("ops", true, false);
        FerryConfig config = configure(onlyProperties, Map.of("FERRY_HOME", home.toString()));
        assertThat(config.file()).isEqualTo(onlyProperties.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(home.resolve("routes").toString());

        Path onlyRoutes = layout("editing", false, true);
        config = configure(onlyRoutes, Map.of("FERRY_HOME", home.toString()));
        assertThat(config.file()).isEqualTo(home.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(onlyRoutes.resolve("routes").toString());
    }

    @Test
    void namedFilesWinOverTheWorkingDirectory() throws IOException {
        Path checkout = layout("checkout", true, true);
        Path other = layout("other", true, true);
        Path mounted = Files.createDirectories(tmp.resolve("mounted-routes"));
        FerryConfig config = configure(checkout, Map.of("FERRY_HOME", other.toString(),
                        "FERRY_ROUTES_DIR", mounted.toString()),
                "--config=" + other.resolve("application.properties"));
        assertThat(config.file()).isEqualTo(other.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(mounted.toString());

        config = configure(checkout, Map.of("FERRY_CONFIG", "../other/application.properties"), "ferry.routes-dir=../other/routes");
        assertThat(config.file()).isEqualTo(other.resolve("application.properties"));
        assertThat(config.get("ferry.routes-dir")).isEqualTo(other.resolve("routes").toString());
    }

    @Test
    void withoutFerryHomeEverythingIsRelativeToTheWorkingDirectory() throws IOException {
        Path bare = layout("bare", false, false);
        assertThatThrownBy(() -> configure(bare, Map.of()))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("Configuration file not found: " + bare.resolve("application.properties"));
        assertThatThrownBy(() -> configure(bare, Map.of(), "--verbose"))
                .isInstanceOf(InvalidSettingException.class).hasMessageContaining("Unknown argument: --verbose");
    }

    @Test
    void theDatabaseDriverIsNamedForTheUrlSoNoDriverManagerLookupIsNeeded() {
        // `camel run --dep=dev.ferry:ferry:...` loads Ferry and its drivers where DriverManager does not look
        assertThat(FerryBeans.driverClassFor("jdbc:h2:mem:x;MODE=MSSQLServer")).isEqualTo("org.h2.Driver");
        assertThat(FerryBeans.driverClassFor("jdbc:postgresql://db:5432/ferry")).isEqualTo("org.postgresql.Driver");
        assertThat(FerryBeans.driverClassFor("jdbc:sqlserver://db:1433;databaseName=ferry"))
                .isEqualTo("com.microsoft.sqlserver.jdbc.SQLServerDriver");
        assertThat(FerryBeans.driverClassFor("jdbc:nosuchdb://db")).isNull();
    }
}
