package dev.ferry.local;

import dev.ferry.accounting.RunAccount;
import dev.ferry.embedded.EmbeddedServices;

import java.util.List;
import java.util.Map;

/**
 * One pipeline's part in local mode: put sample data into the embedded services, point the pipeline at it, and say
 * when the pipeline has finished with it. Demos are listed in
 * {@code src/test/resources/META-INF/services/dev.ferry.local.PipelineDemo}.
 */
public interface PipelineDemo {

    /** The pipeline id, e.g. {@code s3-to-opensearch}. */
    String pipeline();

    /**
     * Seeds sample data into the embedded services (started on demand through {@code services}) and returns the
     * settings that switch the pipeline on and point it at that data.
     */
    Map<String, String> seed(EmbeddedServices services) throws Exception;

    /**
     * True once the pipeline has processed everything that was seeded (e.g. its expected runs have finished), judged
     * from the finished runs of every replica.
     */
    boolean finished(List<RunAccount> finished);
}
