package dev.ferry.s3;

import dev.ferry.accounting.Runs;
import dev.ferry.health.OpenSearchReachabilityCheck;
import dev.ferry.opensearch.OpenSearchConnection;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.PropertyInject;
import dev.ferry.config.AwsSettings;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;


/**
 * Binds the s3-to-opensearch beans the routes in {@code routes/s3-to-opensearch.camel.yaml} call, from
 * {@code ferry.s3-to-opensearch.*} settings, next to the shared beans of {@link dev.ferry.FerryBeans} (listed after it
 * in {@code camel.main.configuration-classes}; YAML {@code beans:} are created before those exist, so cannot use them).
 */
public class S3ToOpenSearchBeans implements CamelConfiguration {

    // Settings are injected by Camel (camel-main post-processes configuration classes before configure); an empty
    // optional setting arrives as "" and means "not set".
    @PropertyInject("ferry.s3-to-opensearch.bucket") String bucket;
    @PropertyInject(value = "ferry.s3-to-opensearch.prefix", defaultValue = "") String prefix;
    @PropertyInject("ferry.s3-to-opensearch.done-action") String doneAction;
    @PropertyInject(value = "ferry.s3-to-opensearch.processed-prefix", defaultValue = "") String processedPrefix;
    @PropertyInject(value = "ferry.s3-to-opensearch.key-suffixes", defaultValue = "") String keySuffixes;
    @PropertyInject("ferry.s3-to-opensearch.index") String index;
    @PropertyInject("ferry.s3-to-opensearch.index-from-line") boolean indexFromLine;
    @PropertyInject(value = "ferry.s3-to-opensearch.id-field", defaultValue = "") String idField;
    @PropertyInject("ferry.s3-to-opensearch.dead-letter-bucket") String deadLetterBucket;
    @PropertyInject("ferry.s3-to-opensearch.bulk-max-docs") int bulkMaxDocs;
    @PropertyInject("ferry.s3-to-opensearch.bulk-max-bytes") long bulkMaxBytes;
    @PropertyInject("ferry.s3-to-opensearch.bulk-in-flight") int bulkInFlight;
    @PropertyInject("ferry.s3-to-opensearch.max-line-bytes") int maxLineBytes;
    @PropertyInject("ferry.s3-to-opensearch.s3-resume-attempts") int s3ResumeAttempts;
    @PropertyInject("ferry.s3-to-opensearch.retry-initial-delay-ms") long retryInitialDelayMs;
    @PropertyInject("ferry.s3-to-opensearch.retry-max-delay-ms") long retryMaxDelayMs;
    @PropertyInject("ferry.s3-to-opensearch.restore-grace-seconds") long restoreGraceSeconds;

    @Override
    public void configure(CamelContext context) throws Exception {
        S3Client s3 = context.getRegistry().lookupByNameAndType("ferryS3Client", S3Client.class);
        Runs runs = context.getRegistry().lookupByNameAndType("runs", Runs.class);

        S3Inbox inbox = new S3Inbox(s3, bucket.trim(), blankToNull(prefix), doneAction, blankToNull(processedPrefix),
                blankToNull(keySuffixes));
        LineParser lines = new LineParser(index.trim(), indexFromLine, blankToNull(idField));
        ObjectJobs objects = new ObjectJobs(runs, s3, inbox, lines, deadLetterBucket.trim(), bulkMaxDocs, bulkMaxBytes,
                maxLineBytes, s3ResumeAttempts, retryInitialDelayMs, retryMaxDelayMs);
        OpenSearchConnection openSearch = OpenSearchConnection.from(context.getPropertiesComponent());

        // the probe (an HTTP client) is created at the first poll, as ferry-bulk's client is
        java.util.concurrent.atomic.AtomicReference<OpenSearchReachabilityCheck> probe = new java.util.concurrent.atomic.AtomicReference<>();
        OpenSearchGate gate = new OpenSearchGate(() -> probe.updateAndGet(p -> p != null ? p
                : new OpenSearchReachabilityCheck(openSearch)).outageReason(), inbox);
        objects.setGate(gate);
        context.getRegistry().bind("s3ToOpenSearchInbox", inbox);
        context.getRegistry().bind("s3ToOpenSearchGate", gate);
        context.getRegistry().bind("s3ToOpenSearchObjects", objects);
        context.getRegistry().bind("s3ToOpenSearchRestores", new RestoreCheck(runs, s3, inbox,
                java.time.Duration.ofSeconds(restoreGraceSeconds), java.time.Clock.systemUTC()));
        // fed by a queue (queue-enabled): the events' reader, and the SQS client the queue route's endpoint uses
        S3EventQueue queue = new S3EventQueue(s3, inbox, runs.metrics());
        context.addStartupListener((ctx, alreadyStarted) -> queue.register());
        context.getRegistry().bind("s3ToOpenSearchQueue", queue);
        SqsClient sqs = sqsClient(context.getPropertiesComponent());
        context.getRegistry().bind("ferrySqsClient", sqs);
        context.addService(new org.apache.camel.support.service.ServiceSupport() {
            @Override
            protected void doStop() {
                sqs.close();
            }
        }, true, true);
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

    /** The SQS client of {@code ferry.sqs.*} (an endpoint, e.g. ElasticMQ's, a region, keys or the default chain). */
    static SqsClient sqsClient(org.apache.camel.spi.PropertiesComponent pc) {
        return AwsSettings.configure(SqsClient.builder(), pc, "ferry.sqs").build();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
