package dev.ferry.config;

import org.apache.camel.spi.PropertiesComponent;

/**
 * Reading one setting through Camel's properties (placeholders resolved, environment overrides applied), for the
 * code that builds beans before routes exist. Values are trimmed; an empty optional setting means "not set".
 */
public final class Setting {

    private Setting() {
    }

    /** The value, or an exception naming the missing key (settings are validated at start, so this means a bug). */
    public static String required(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::trim)
                .orElseThrow(() -> new IllegalArgumentException("missing setting " + key));
    }

    /** The value, or null when it is absent or empty. */
    public static String optional(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
    }
}
