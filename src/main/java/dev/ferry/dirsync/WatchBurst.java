package dev.ferry.dirsync;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import java.util.concurrent.TimeUnit;

/**
 * Aggregates the files the watch route's poll hands over into one burst, which starts one sync. The aggregation
 * completes when no file came for watch-quiet-ms (the route's completionTimeout), or, for a source that never goes
 * quiet (a file rewritten every second), once the burst is watch-max-wait-ms old: changes keep being synced at least
 * that often. Keeps the latest file's exchange, with the burst's file count in {@value #FILES}.
 */
public final class WatchBurst implements AggregationStrategy {

    /** Exchange property: files (new or changed) in the burst. */
    public static final String FILES = "FerryDirSyncWatchFiles";
    private static final String STARTED = "FerryDirSyncWatchStarted";

    private final long maxWaitNanos;

    public WatchBurst(long maxWaitMs) {
        this.maxWaitNanos = TimeUnit.MILLISECONDS.toNanos(maxWaitMs);
    }

    @Override
    public Exchange aggregate(Exchange burst, Exchange file) {
        long started = burst == null ? System.nanoTime() : burst.getProperty(STARTED, Long.class);
        int files = burst == null ? 1 : burst.getProperty(FILES, Integer.class) + 1;
        file.setProperty(STARTED, started);
        file.setProperty(FILES, files);
        if (System.nanoTime() - started >= maxWaitNanos) {
            file.setProperty(Exchange.AGGREGATION_COMPLETE_CURRENT_GROUP, true);
        }
        return file;
    }
}
