package dev.ferry.opensearch;

import org.apache.camel.spi.PropertiesComponent;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The shared retry policy ({@code ferry.retry.*}, the same the routes' error handling uses) for the retries the
 * dump makes in Java, where a route cannot redeliver: a page fetched again, a manifest or checkpoint written again.
 * Exponential from the initial delay, capped at the max delay, with +-25 % jitter so parallel slices do not retry in
 * step.
 */
public record Backoff(int maxRetries, long initialDelayMs, long maxDelayMs, double multiplier) {

    public static Backoff from(PropertiesComponent pc) {
        return new Backoff(Integer.parseInt(get(pc, "max-attempts")), Long.parseLong(get(pc, "initial-delay-ms")),
                Long.parseLong(get(pc, "max-delay-ms")), Double.parseDouble(get(pc, "multiplier")));
    }

    /** The delay before retry number {@code retry} (from 1). */
    public long delayMs(int retry) {
        double base = Math.min(maxDelayMs, initialDelayMs * Math.pow(multiplier, Math.max(0, retry - 1)));
        double jittered = base * (0.75 + 0.5 * ThreadLocalRandom.current().nextDouble());
        return Math.max(1, Math.min(maxDelayMs, Math.round(jittered)));
    }

    private static String get(PropertiesComponent pc, String key) {
        return dev.ferry.config.Setting.required(pc, "ferry.retry." + key);
    }
}
