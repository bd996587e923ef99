package dev.ferry.dump;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.opensearch.IndexDoc;
import dev.ferry.records.RecordBatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;

/**
 * The body of opensearch-to-s3's transform route: one batch of hits (a page's worth) of one slice, as documents
 * ({@link IndexDoc}: index, id, routing, _source fields). Dropped hits are counted filtered; dead-lettered ones are
 * written, with the reason, to the part's dead-letter file beside it at the destination.
 */
public final class DumpBatch implements RecordBatch<IndexDoc> {

    private final List<IndexDoc> records;
    private final Dump dump;
    private final Supplier<PartWriter> deadLetters;
    private long filtered;
    private long deadLettered;

    DumpBatch(List<IndexDoc> records, Dump dump, Supplier<PartWriter> deadLetters) {
        this.records = records;
        this.dump = dump;
        this.deadLetters = deadLetters;
    }

    @Override
    public List<IndexDoc> records() {
        return records;
    }

    /** The index being dumped. */
    public String index() {
        return dump.index;
    }

    public String dumpId() {
        return dump.dumpId;
    }

    @Override
    public void filtered(IndexDoc doc) {
        filtered++;
    }

    @Override
    public void deadLetter(IndexDoc doc, String reason) {
        ObjectNode line = DumpStore.mapper().createObjectNode();
        line.putObject("source").put("index", dump.index).put("dumpId", dump.dumpId);
        line.putObject("error").put("type", "transform").put("reason", reason);
        ObjectNode document = line.putObject("document");
        document.put("_index", doc.index());
        document.put("_id", doc.id());
        if (doc.routing() != null) {
            document.put("_routing", doc.routing());
        }
        try {
            document.set("_source", DumpStore.mapper().readTree(doc.sourceAsRead()));
            PartWriter out = deadLetters.get();
            byte[] bytes = (DumpStore.mapper().writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            out.lines().write(bytes);
            out.lineWritten(bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool a dead letter of dump " + dump.dumpId, e);
        }
        deadLettered++;
    }

    long filteredCount() {
        return filtered;
    }

    long deadLetteredCount() {
        return deadLettered;
    }
}
