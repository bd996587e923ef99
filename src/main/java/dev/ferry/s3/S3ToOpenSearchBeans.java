package dev.ferry.s3;

import dev.ferry.accounting.Runs;
import dev.ferry.health.OpenSearchReachabilityCheck;
import dev.ferry.opensearch.OpenSearchConnection;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Binds the s3-to-opensearch beans the routes in {@code routes/s3-to-opensearch.camel.yaml} call, from
 * {@code ferry.s3-to-opensearch.*} settings, next to the shared beans of {@link dev.ferry.FerryBeans} (listed after it
 * in {@code camel.main.configuration-classes}; YAML {@code beans:} are created before those exist, so cannot use them).
 */
public class S3ToOpenSearchBeans implements CamelConfiguration {

    private static final String P = S3ToOpenSearchSettings.PREFIX;

    @Override
    public void configure(CamelContext context) {
        PropertiesComponent pc = context.getPropertiesComponent();
        S3Client s3 = context.getRegistry().lookupByNameAndType("ferryS3Client", S3Client.class);
        Runs runs = context.getRegistry().lookupByNameAndType("runs", Runs.class);

        S3Inbox inbox = new S3Inbox(s3, get(pc, P + "bucket"), optional(pc, P + "prefix"), get(pc, P + "done-action"),
                optional(pc, P + "processed-prefix"), optional(pc, P + "key-suffixes"));
        LineParser lines = new LineParser(get(pc, P + "index"), Boolean.parseBoolean(get(pc, P + "index-from-line")),
                optional(pc, P + "id-field"));
        ObjectJobs objects = new ObjectJobs(runs, s3, inbox, lines, get(pc, P + "dead-letter-bucket"),
                Integer.parseInt(get(pc, P + "bulk-max-docs")), Long.parseLong(get(pc, P + "bulk-max-bytes")),
                Integer.parseInt(get(pc, P + "max-line-bytes")), Integer.parseInt(get(pc, P + "s3-resume-attempts")),
                Long.parseLong(get(pc, P + "retry-initial-delay-ms")), Long.parseLong(get(pc, P + "retry-max-delay-ms")));
        OpenSearchConnection openSearch = OpenSearchConnection.from(pc);
        int bulkInFlight = Integer.parseInt(get(pc, P + "bulk-in-flight"));

        // the probe (an HTTP client) is created at the first poll, as ferry-bulk's client is
        java.util.concurrent.atomic.AtomicReference<OpenSearchReachabilityCheck> probe = new java.util.concurrent.atomic.AtomicReference<>();
        OpenSearchGate gate = new OpenSearchGate(() -> probe.updateAndGet(p -> p != null ? p
                : new OpenSearchReachabilityCheck(openSearch)).outageReason(), inbox);
        objects.setGate(gate);
        context.getRegistry().bind("s3ToOpenSearchInbox", inbox);
        context.getRegistry().bind("s3ToOpenSearchGate", gate);
        context.getRegistry().bind("s3ToOpenSearchObjects", objects);
        context.getRegistry().bind("s3ToOpenSearchBulkPool", dev.ferry.SplitPools.fifo(context, S3ToOpenSearchBeans.class,
                "s3-to-opensearch-bulk", bulkInFlight));
        context.addLifecycleStrategy(new org.apache.camel.support.LifecycleStrategySupport() {
            @Override
            public void onContextStopped(CamelContext ctx) {
                // An object cut off by the stop is not done: its run fails loudly, the object is read again next start.
                for (var run : runs.active()) {
                    if (run.pipeline().equals(dev.ferry.Pipeline.S3_TO_OPENSEARCH.id())) {
                        runs.fail(run, "Ferry stopped mid-object; the object stays in place and is read again on the next start");
                    }
                }
            }
        });
    }

    private static String get(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::trim)
                .orElseThrow(() -> new IllegalArgumentException("missing setting " + key));
    }

    private static String optional(PropertiesComponent pc, String key) {
        return pc.resolveProperty(key).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
    }
}
