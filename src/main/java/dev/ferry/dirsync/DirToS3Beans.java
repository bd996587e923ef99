package dev.ferry.dirsync;

import dev.ferry.OneShotExit;
import dev.ferry.SplitPools;
import dev.ferry.accounting.Runs;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Binds the dir-to-s3 beans from {@code ferry.dir-to-s3.*}: {@code dirToS3Sync} (the steps of the route),
 * {@code dirToS3UploadPool} (parallel-uploads threads), {@code dirToS3OneShot} (exit status after a one-shot sync),
 * and for watch=true {@code dirToS3WatchSeen} (files seen, watch-max-files at most) and {@code dirToS3WatchBurst}.
 * Named in {@code camel.main.configuration-classes} after {@link dev.ferry.FerryBeans}, whose S3 client and ledger it
 * uses. Nothing is bound while the pipeline is off.
 */
public class DirToS3Beans implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        // Bound whether the pipeline is on or off: Ferry's launcher leaves a switched-off pipeline's routes out, but
        // `camel run` creates them all, and a route cannot be created without the beans it names.
        DirToS3Settings settings = DirToS3Settings.from(context.getPropertiesComponent());
        S3Client s3 = context.getRegistry().lookupByNameAndType("ferryS3Client", S3Client.class);
        Runs runs = context.getRegistry().lookupByNameAndType("runs", Runs.class);
        DirToS3Metrics metrics = new DirToS3Metrics(runs.metrics());
        context.addStartupListener((ctx, alreadyStarted) -> metrics.register());
        context.getRegistry().bind("dirToS3Sync", new DirSync(settings, s3, runs, metrics));
        context.getRegistry().bind("dirToS3UploadPool", SplitPools.fifo(context, DirToS3Beans.class,
                "dir-to-s3-upload", settings.parallelUploads()));
        context.getRegistry().bind("dirToS3OneShot", new OneShotExit(context));
        // watch=true: the file consumer's memory of the files it has seen (path, size, mtime: an edit is a new entry)
        // and the aggregation that turns a burst of them into one sync
        context.getRegistry().bind("dirToS3WatchSeen",
                MemoryIdempotentRepository.memoryIdempotentRepository(settings.watchMaxFiles()));
        context.getRegistry().bind("dirToS3WatchBurst", new WatchBurst(settings.watchMaxWaitMs()));
    }
}
