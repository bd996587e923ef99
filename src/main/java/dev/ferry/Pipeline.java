package dev.ferry;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The pipelines Ferry knows, the services each one needs (for readiness) and the prefix of its route ids. A pipeline
 * is switched on by {@code ferry.<id>.enabled}; its routes live in {@code routes/<id>.camel.yaml}.
 */
public enum Pipeline {
    REPORT_TO_SQL("report-to-sql", EnumSet.of(Service.DATABASE)),
    S3_TO_OPENSEARCH("s3-to-opensearch", EnumSet.of(Service.S3, Service.OPENSEARCH)),
    OPENSEARCH_TO_S3("opensearch-to-s3", EnumSet.of(Service.S3, Service.OPENSEARCH)),
    DIR_TO_S3("dir-to-s3", EnumSet.of(Service.S3));

    public enum Service { S3, OPENSEARCH, DATABASE }

    private final String id;
    private final Set<Service> services;

    Pipeline(String id, Set<Service> services) {
        this.id = id;
        this.services = services;
    }

    public String id() {
        return id;
    }

    public Set<Service> services() {
        return services;
    }

    public String enabledKey() {
        return "ferry." + id + ".enabled";
    }

    /** The pipeline a route belongs to, by its id prefix ({@code s3-to-opensearch-read-object}). */
    public static Optional<Pipeline> ofRouteId(String routeId) {
        if (routeId != null) {
            for (Pipeline p : values()) {
                if (routeId.equals(p.id) || routeId.startsWith(p.id + '-')) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }
}
