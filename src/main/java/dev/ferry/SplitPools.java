package dev.ferry;

import dev.ferry.accounting.PipelineMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.ThreadPoolProfile;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;

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
        ExecutorService pool = context.getExecutorServiceManager().newThreadPool(source, name, profile);
        if (pool instanceof ThreadPoolExecutor executor) {
            BlockingQueue<Runnable> queue = executor.getQueue();
            // at start-up, once Camel has bound the registry /observe/metrics shows (at once if already started)
            try {
                context.addStartupListener((ctx, alreadyStarted) -> {
                    PipelineMetrics metrics = ctx.getRegistry().lookupByNameAndType("pipelineMetrics", PipelineMetrics.class);
                    if (metrics != null) {
                        registerQueueDepth(metrics.registry(), name, queue);
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException("could not register the queue depth gauge of pool " + name, e);
            }
        }
        return pool;
    }

    /**
     * {@code ferry_pool_queue_depth{pool, pipeline}}: the tasks waiting in the pool's queue (pieces of work and split
     * steps not yet started). About a piece and a step per split when the pool keeps up with the source.
     */
    static void registerQueueDepth(MeterRegistry registry, String name, BlockingQueue<Runnable> queue) {
        Gauge.Builder<BlockingQueue<Runnable>> gauge = Gauge.builder("ferry.pool.queue_depth", queue, BlockingQueue::size)
                .description("Tasks waiting in a split pool's queue").tag("pool", name).strongReference(true);
        Pipeline.ofRouteId(name).ifPresent(p -> gauge.tag("pipeline", p.id()));
        gauge.register(registry);
    }
}
