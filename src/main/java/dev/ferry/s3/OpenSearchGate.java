package dev.ferry.s3;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Supplier;

/**
 * Keeps s3-to-opensearch from cycling objects through failures while OpenSearch is down: a listing is skipped while
 * the reachability probe says OpenSearch is unreachable (or red), and the rest of a listing is left once an object's
 * run failed for a reason about the cluster. One log line when polling pauses, one when it resumes.
 */
public final class OpenSearchGate {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSearchGate.class);

    private final Supplier<String> outageReason;
    private final S3Inbox inbox;
    private volatile String paused;
    private volatile String clusterFailure;

    /** @param outageReason null when OpenSearch answers, else why not */
    public OpenSearchGate(Supplier<String> outageReason, S3Inbox inbox) {
        this.outageReason = outageReason;
        this.inbox = inbox;
    }

    /** The keys waiting under the prefix, or none while OpenSearch is unreachable; stops after a cluster failure. */
    public Iterator<String> pending() {
        String down = outageReason.get();
        if (down != null) {
            if (paused == null) {
                LOG.warn("s3-to-opensearch pauses polling {}: {}; objects stay in place until it answers", inbox.bucket(), down);
            }
            paused = down;
            return Collections.emptyIterator();
        }
        if (paused != null) {
            LOG.info("OpenSearch answers again: s3-to-opensearch resumes polling {}", inbox.bucket());
            paused = null;
        }
        clusterFailure = null;
        Iterator<String> keys = inbox.pending();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return clusterFailure == null && keys.hasNext(); // the next poll checks OpenSearch first
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return keys.next();
            }
        };
    }

    /** An object's run failed because OpenSearch failed as a whole: leave the rest of this listing. */
    public void clusterFailed(String reason) {
        clusterFailure = reason;
    }

    /** Why polling is paused, or null. */
    public String paused() {
        return paused;
    }
}
