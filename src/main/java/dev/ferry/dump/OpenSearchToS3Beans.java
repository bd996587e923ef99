package dev.ferry.dump;

import dev.ferry.Pipeline;
import dev.ferry.cluster.LeadershipLoss;
import dev.ferry.snapshot.SnapshotReader;
import dev.ferry.opensearch.OpenSearchConnection;
import dev.ferry.opensearch.Backoff;
import dev.ferry.OneShotExit;
import dev.ferry.accounting.Runs;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;

/**
 * Binds the opensearch-to-s3 beans from {@code ferry.opensearch-to-s3.*}: {@code opensearchToS3Dumps} (the steps of
 * the route) and {@code opensearchToS3OneShot} (exit status after a one-shot dump). Named in
 * {@code camel.main.configuration-classes} after {@link dev.ferry.FerryBeans}, whose S3 client and ledger it uses.
 */
public class OpenSearchToS3Beans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        PropertiesComponent pc = context.getPropertiesComponent();
        OpenSearchToS3Settings settings = OpenSearchToS3Settings.from(pc);
        if (Boolean.parseBoolean(pc.resolveProperty(Pipeline.OPENSEARCH_TO_S3.enabledKey()).orElse("false"))) {
            settings.compression().requireAvailable(); // at start-up, not at the first part
        }
        SnapshotReader reader = new SnapshotReader(OpenSearchConnection.from(pc),
                Duration.ofSeconds(settings.requestTimeoutSeconds()));
        Runs runs = context.getRegistry().lookupByNameAndType("runs", Runs.class);
        DumpProgress progress = new DumpProgress(runs.metrics());
        context.addStartupListener((ctx, alreadyStarted) -> progress.register());
        OpenSearchDumps dumps = new OpenSearchDumps(settings, reader, destination(context, settings), runs, progress,
                Backoff.from(pc));
        dumps.transformWith(() -> transform(context));
        LeadershipLoss loss = context.getRegistry().lookupByNameAndType(
                LeadershipLoss.beanName(Pipeline.OPENSEARCH_TO_S3.id()), LeadershipLoss.class);
        if (loss != null && !settings.oneShot()) {
            // a one-shot dump is no leader's: it runs on every replica that is started that way
            loss.onLoss(() -> dumps.stopAll("this replica no longer leads opensearch-to-s3; the replica that does"
                    + " resumes the dump from its checkpoint"));
        }
        context.getRegistry().bind("opensearchToS3Dumps", dumps);
        context.getRegistry().bind("opensearchToS3SharedSlices", dumps.sharedSlices());
        context.getRegistry().bind("opensearchToS3OneShot", new OneShotExit(context));
        // A slice reads its next part on an upload thread too (the split's next step), hence a thread per slice
        // besides the uploads in flight.
        context.getRegistry().bind("opensearchToS3UploadPool", dev.ferry.SplitPools.fifo(context, OpenSearchToS3Beans.class,
                "opensearch-to-s3-upload", settings.slices() + settings.uploadsInFlight()));
    }

    static final String TRANSFORM_ROUTE = "opensearch-to-s3-transform";

    /**
     * The route opensearch-to-s3-transform as the dump's transform stage, or null when it has no step but logging (as
     * shipped): then hits go into parts as read, on the copying path, with no batch or exchange made for them.
     */
    static OpenSearchDumps.Transform transform(CamelContext context) {
        if (context.getRoute(TRANSFORM_ROUTE) == null) {
            return null; // no such route (removed): nothing to apply
        }
        // skipped only when its definition is known to log and nothing else; anything else (or not knowing) applies it
        org.apache.camel.model.RouteDefinition route = context instanceof org.apache.camel.model.ModelCamelContext model
                ? model.getRouteDefinition(TRANSFORM_ROUTE) : null;
        if (route != null && !route.getOutputs().isEmpty()
                && route.getOutputs().stream().allMatch(step -> step instanceof org.apache.camel.model.LogDefinition)) {
            return null;
        }
        dev.ferry.records.TransformStage stage = context.getRegistry().lookupByNameAndType("transformStage",
                dev.ferry.records.TransformStage.class);
        return (batch, dump) -> {
            org.apache.camel.Exchange exchange = new org.apache.camel.support.DefaultExchange(context);
            exchange.getMessage().setBody(batch);
            exchange.setProperty(dev.ferry.accounting.RetryCounter.RUN_PROPERTY, dump.run());
            stage.apply(exchange, "direct:" + TRANSFORM_ROUTE);
        };
    }

    private static DumpDestination destination(CamelContext context, OpenSearchToS3Settings settings) {
        if (settings.destination() instanceof DumpDestinationUri.S3 s3Uri) {
            S3Client s3 = context.getRegistry().lookupByNameAndType("ferryS3Client", S3Client.class);
            return new S3DumpDestination(s3Uri.bucket(), s3Uri.prefix(),
                    new PartUploader(s3, settings.multipartBytes()), new DumpStore(s3));
        }
        DirectoryDumpDestination directory = new DirectoryDumpDestination(
                ((DumpDestinationUri.Directory) settings.destination()).directory());
        try { // a directory Ferry cannot make fails the start, not the first dump
            Files.createDirectories(directory.directory());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the directory of " + OpenSearchToS3Settings.PREFIX
                    + "destination, " + directory.directory() + ": " + e, e);
        }
        return directory;
    }
}
