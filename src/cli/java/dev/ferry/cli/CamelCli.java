package dev.ferry.cli;

/**
 * The Camel CLI ({@code camel ...}, as installed by jbang) without jbang: camel-jbang-core has the commands but no
 * {@code main()}. Run by the Maven profile {@code camel-cli} as a single-file source program, so it is never compiled
 * into Ferry's classes and camel-jbang-core never reaches Ferry's compile or test classpath.
 */
public final class CamelCli {
    public static void main(String[] args) {
        org.apache.camel.dsl.jbang.core.commands.CamelJBangMain.run(args);
    }
}
