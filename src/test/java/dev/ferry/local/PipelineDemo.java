package dev.ferry.local;

import dev.ferry.accounting.Runs;

import java.util.Map;

/**
 * One pipeline's part in local mode: put sample data into the embedded services, point the pipeline at it, and say
 * when the pipeline has finished with it.
 */
public interface PipelineDemo {

    /** The pipeline id, e.g. {@code report-to-sql}. */
    String pipeline();

    /**
     * Seeds sample data into the embedded services (already started) and returns the settings that switch the
     * pipeline on and point it at that data.
     */
    Map<String, String> seed(dev.ferry.embedded.EmbeddedServices services) throws Exception;

    /** True once the pipeline has processed everything that was seeded (e.g. its expected runs have finished). */
    boolean finished(Runs runs);
}
