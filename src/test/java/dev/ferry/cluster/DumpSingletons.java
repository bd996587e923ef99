package dev.ferry.cluster;

import dev.ferry.testing.FerryUnderTest;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.ServiceStatus;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the leader election tests look at: the dump pipeline's singleton routes and its leader gauge on one instance. */
final class DumpSingletons {

    static final List<String> ROUTES = List.of("opensearch-to-s3-schedule", "opensearch-to-s3-request-file",
            "opensearch-to-s3-resume-unfinished");

    private DumpSingletons() {
    }

    /** Started when every singleton route is, Stopped when every one is, else null (a mix never satisfies a test). */
    static ServiceStatus of(FerryUnderTest ferry) {
        ServiceStatus all = null;
        for (String id : ROUTES) {
            ServiceStatus status = ferry.camelContext().getRouteController().getRouteStatus(id);
            if (all != null && all != status) {
                return null;
            }
            all = status;
        }
        return all;
    }

    /** ferry_leader{pipeline="opensearch-to-s3"}: 1 on the leader, 0 on a follower. */
    static double leaderGauge(FerryUnderTest ferry) {
        return ferry.camelContext().getRegistry().findByType(MeterRegistry.class).stream()
                .map(r -> r.find("ferry_leader").tag("pipeline", "opensearch-to-s3").gauge())
                .filter(g -> g != null).findFirst().orElseThrow().value();
    }

    /** The dump pipeline on, its singletons idle (a schedule far away, no request), OpenSearch never asked. */
    static Map<String, String> dumpSettings(Path work, String instance) {
        Map<String, String> s = new HashMap<>();
        s.put("ferry.opensearch-to-s3.enabled", "true");
        s.put("ferry.opensearch-to-s3.index", "leadership");
        s.put("ferry.opensearch-to-s3.destination", "file:" + work.resolve("dumps"));
        s.put("ferry.opensearch-to-s3.schedule", "0 0 0 1 1 ? 2099");
        s.put("ferry.opensearch-to-s3.spool-dir", work.resolve(instance + "-spool").toString());
        s.put("ferry.opensearch-to-s3.request-dir", work.resolve(instance + "-requests").toString());
        s.put("ferry.opensearch.hosts", "127.0.0.1:9"); // never asked: the schedule is far away and no request comes
        return s;
    }
}
