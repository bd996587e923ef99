package dev.ferry;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;

import java.util.concurrent.ExecutorService;

/**
 * Thread pools for the parallel streaming splits: a fixed number of threads and one first-in first-out queue that
 * never refuses.
 *
 * <p>A parallel split hands its pool two kinds of task: a piece of work (a batch to write, a bulk request, a part to
 * upload), and its own next step (read the next piece, hand it over, hand over the step after). The next step is
 * queued behind the work it handed over, so it can only start once that work has started: the source is read at most
 * one piece ahead of the pool, and the queue never holds more than a piece and a step per split. That is the
 * back-pressure, and memory stays at about (threads + 2) pieces per split whatever the input's size.
 *
 * <p>Not a short queue with a caller-runs policy: whenever the pool was busy, that ran the split's next step inside
 * the one before, the stack grew with every piece, and a long enough run stopped without a word (the overflow ended
 * inside the pool's future). And not a refusing pool either: Camel's split drops a task its pool refuses.
 */
public final class SplitPools {

    private SplitPools() {
    }

    public static ExecutorService fifo(CamelContext context, Object source, String name, int threads) {
        ThreadPoolProfile profile = new ThreadPoolProfile(name);
        profile.setPoolSize(threads);
        profile.setMaxPoolSize(threads);
        profile.setMaxQueueSize(Integer.MAX_VALUE); // Camel reads 0 or less as no queue at all
        profile.setAllowCoreThreadTimeOut(false);
        profile.setRejectedPolicy(ThreadPoolRejectedPolicy.Abort); // only once the pool is shut down
        return context.getExecutorServiceManager().newThreadPool(source, name, profile);
    }
}
