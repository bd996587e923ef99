package dev.ferry.accounting;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code process_resident_memory_bytes} (the name Prometheus' own clients use): the process' resident set size, the
 * memory a container limit is held against, read from {@code VmRSS} of {@code /proc/self/status} when scraped. Not
 * registered where that file is missing (not Linux): no series rather than a made-up value.
 */
public final class ResidentMemoryGauge {

    static final Path PROC_STATUS = Path.of("/proc/self/status");

    private ResidentMemoryGauge() {
    }

    /** @return whether the gauge was registered (the status file has a VmRSS line) */
    public static boolean register(MeterRegistry registry) {
        return register(registry, PROC_STATUS);
    }

    static boolean register(MeterRegistry registry, Path status) {
        if (Double.isNaN(read(status))) {
            return false;
        }
        Gauge.builder("process.resident.memory.bytes", status, ResidentMemoryGauge::read)
                .description("Resident set size of the process (VmRSS of /proc/self/status)")
                .strongReference(true)
                .register(registry);
        return true;
    }

    /** VmRSS in bytes; NaN when the file or the line is missing. */
    static double read(Path status) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    long kib = Long.parseLong(parts[0]);
                    return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? kib * 1024.0 : kib;
                }
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (not Linux) or an unexpected format: no value
        }
        return Double.NaN;
    }
}
