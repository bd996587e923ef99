package dev.ferry.config;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secret values of a configuration, and masking them out of any text (log lines, exception messages, HTTP
 * answers). Masking by value, not by the shape of a line, is what catches a secret wherever a library prints it: in a
 * property summary, a DEBUG line of Camel's properties parser, an endpoint URI, an exception message.
 */
public final class Secrets {

    public static final String MASK = "****";
    /** Shorter values are not masked: masking a two-letter password would garble every line and protect nothing. */
    static final int MIN_LENGTH = 4;

    /** password=... in a JDBC URL: PostgreSQL's {@code ?password=x&}, SQL Server's {@code ;password=x;}. */
    private static final Pattern URL_PASSWORD = Pattern.compile("(?i)(?:password|pwd)=([^;&\\s]+)");
    /** {@code scheme://user:password@host}. */
    private static final Pattern URL_USER_INFO = Pattern.compile("://[^/:@\\s]*:([^/@\\s]+)@");

    private static volatile List<String> known = List.of();

    private Secrets() {
    }

    /** Every secret value of the configuration: secret-named keys, passwords inside URLs, secret-named env vars. */
    public static Set<String> of(FerryConfig config) {
        Set<String> found = new TreeSet<>();
        for (Map.Entry<String, String> e : config.snapshot().entrySet()) {
            collect(e.getKey(), e.getValue(), found);
        }
        config.environment().forEach((name, value) -> collect(name.replace('_', '-'), value, found));
        return found;
    }

    private static void collect(String key, String value, Set<String> into) {
        if (value == null || value.isBlank()) {
            return;
        }
        if (SettingsValidator.isSecretKey(key)) {
            into.add(value.trim());
        }
        for (Pattern p : List.of(URL_PASSWORD, URL_USER_INFO)) {
            Matcher m = p.matcher(value);
            while (m.find()) {
                into.add(m.group(1));
            }
        }
    }

    /** Adds secrets to those {@link #mask(String)} removes (a process may start Ferry more than once: tests). */
    public static synchronized void register(Collection<String> secrets) {
        Set<String> all = new TreeSet<>(known);
        for (String s : secrets) {
            if (s != null && s.length() >= MIN_LENGTH) {
                all.add(s);
                String encoded = URLEncoder.encode(s, StandardCharsets.UTF_8);
                if (!encoded.equals(s)) {
                    all.add(encoded);
                }
            }
        }
        // longest first, so a secret containing another is masked whole
        known = all.stream().sorted(Comparator.comparingInt(String::length).reversed().thenComparing(s -> s)).toList();
    }

    /** The text with every registered secret value replaced by {@value #MASK}. */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        String masked = text;
        for (String secret : known) {
            if (masked.contains(secret)) {
                masked = masked.replace(secret, MASK);
            }
        }
        return masked;
    }
}
