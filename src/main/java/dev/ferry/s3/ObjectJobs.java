package dev.ferry.s3;

import dev.ferry.Pipeline;
import dev.ferry.accounting.RetryCounter;
import dev.ferry.accounting.RunAccount;
import dev.ferry.accounting.Runs;
import dev.ferry.config.DumpPartMetadata;
import dev.ferry.opensearch.IndexDoc;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MetadataDirective;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The life of one S3 object in s3-to-opensearch, step by step as the route calls it: open it with a run in the
 * ledger, hand out its line batches, turn each batch into documents, deliver its dead letters, and close the run,
 * which must balance (lines read = indexed + dead-lettered) before the object may be marked done.
 */
public final class ObjectJobs {

    private static final Logger LOG = LoggerFactory.getLogger(ObjectJobs.class);
    private static final String PIPELINE = Pipeline.S3_TO_OPENSEARCH.id();
    public static final String DEAD_LETTER_SUFFIX = ".dead-letters.ndjson";

    private final Runs runs;
    private final S3Client s3;
    private final S3Inbox inbox;
    private final LineParser parser;
    private final String deadLetterBucket;
    private final int maxDocs;
    private final long maxBytes;
    private final int maxLineBytes;
    private final int resumeAttempts;
    private final long resumeInitialDelayMs;
    private final long resumeMaxDelayMs;
    private volatile OpenSearchGate gate;

    public ObjectJobs(Runs runs, S3Client s3, S3Inbox inbox, LineParser parser, String deadLetterBucket, int maxDocs,
                      long maxBytes, int maxLineBytes, int resumeAttempts, long resumeInitialDelayMs, long resumeMaxDelayMs) {
        this.runs = runs;
        this.s3 = s3;
        this.inbox = inbox;
        this.parser = parser;
        this.deadLetterBucket = deadLetterBucket;
        this.maxDocs = maxDocs;
        this.maxBytes = maxBytes;
        this.maxLineBytes = maxLineBytes;
        this.resumeAttempts = resumeAttempts;
        this.resumeInitialDelayMs = resumeInitialDelayMs;
        this.resumeMaxDelayMs = resumeMaxDelayMs;
    }

    /** Told when a run fails because OpenSearch failed as a whole, so the rest of the listing waits. */
    public void setGate(OpenSearchGate gate) {
        this.gate = gate;
    }

    /** Opens the object named by the body (its key) as a stream and starts its run. */
    public void begin(Exchange exchange) {
        String key = exchange.getMessage().getBody(String.class);
        String bucket = inbox.bucket();
        RunAccount run = runs.begin(PIPELINE, bucket + '/' + key);
        exchange.setProperty(RetryCounter.RUN_PROPERTY, run);
        ResumingObjectStream stream = new ResumingObjectStream(s3, bucket, key, resumeAttempts, resumeInitialDelayMs,
                resumeMaxDelayMs);
        ObjectJob job = new ObjectJob(bucket, key, run, stream, new NdjsonBatches(stream, stream.size(), maxDocs, maxBytes,
                maxLineBytes), new DeadLetterSpool(bucket, key));
        exchange.setProperty(ObjectJob.PROPERTY, job);
    }

    /** The object's lines, batch by batch, read only as fast as the bulk steps take them. */
    public Iterator<List<SourceLine>> batches(Exchange exchange) {
        return job(exchange).lines();
    }

    /**
     * Counts a batch as read and turns it into documents, the body of the transform stage; a line that cannot be one
     * is dead-lettered here.
     */
    public DocumentBatch parse(Exchange exchange) {
        ObjectJob job = job(exchange);
        @SuppressWarnings("unchecked")
        List<SourceLine> lines = exchange.getMessage().getBody(List.class);
        job.run().read(lines.size());
        List<IndexDoc> docs = new ArrayList<>(lines.size());
        for (SourceLine line : lines) {
            LineParser.Parsed parsed = parser.parse(line, job.bucket(), job.key());
            if (parsed.ok()) {
                docs.add(parsed.doc());
            } else {
                job.deadLetters().unparseable(line, parsed.errorType(), parsed.reason());
                job.run().deadLettered(1);
                LOG.warn("dead letter {}/{} line {}: {}", job.bucket(), job.key(), line.number(), parsed.reason());
            }
        }
        return new DocumentBatch(job, docs);
    }

    /**
     * Prepares the object's dead letters for the route {@code s3-to-opensearch-dead-letters}: the body becomes the
     * spooled NDJSON file (one line per dead letter), with headers naming where it came from and where it goes
     * ({@code CamelAwsS3Key} and {@code CamelFileName}: the source key + {@value #DEAD_LETTER_SUFFIX}); an empty body
     * when there is none. An object whose content is damaged (in bytes S3 delivered whole) is copied whole to the
     * dead-letter bucket here, with the reason in its metadata: the unread remainder is not a record (its lines
     * cannot be counted), so the run says how many bytes of the object it left unread and counts it unreadable.
     * A part of a Ferry dump that reads whole but not as its dump wrote it (another document count, other bytes) is
     * damaged the same way: its documents were indexed, and the copy says what differs.
     */
    public void deadLetters(Exchange exchange) {
        ObjectJob job = job(exchange);
        NdjsonBatches lines = job.lines();
        String damage = lines.damage();
        if (damage != null) {
            long size = lines.objectSize();
            long unread = size < 0 ? 0 : Math.max(0, size - lines.objectBytesConsumed());
            String stored = lines.compressed() ? " (compressed)" : "";
            String extent = lines.linesRead() + " line(s) read before the damage; " + (size < 0 ? "object size unknown"
                    : unread == 0 ? "all " + size + " byte(s)" + stored + " of the object were delivered: its content ends early"
                    : "at least " + unread + " of the object's " + size + " byte(s)" + stored + " unread");
            copyWholeToDeadLetters(job, damage, extent, unread, "the lines before the damage were indexed");
        } else {
            String differs = differsFromItsDump(job.source(), lines.linesRead());
            if (differs != null) {
                copyWholeToDeadLetters(job, differs, lines.linesRead() + " line(s) read, every byte delivered", 0,
                        "its lines were indexed as read");
            }
        }
        Path file = job.deadLetters().finish();
        var message = exchange.getMessage();
        message.setBody(file == null ? null : file.toFile());
        if (file != null) {
            String target = job.key() + DEAD_LETTER_SUFFIX;
            message.setHeader("CamelAwsS3Key", target);
            message.setHeader("CamelAwsS3ContentType", "application/x-ndjson");
            message.setHeader("CamelFileName", target);
            message.setHeader("FerrySource", job.bucket() + '/' + job.key());
            message.setHeader("FerryDeadLetterCount", job.deadLetters().count());
        }
    }

    private void copyWholeToDeadLetters(ObjectJob job, String damage, String extent, long unread, String indexed) {
        String reason = "unreadable: " + damage;
        s3.copyObject(b -> b.sourceBucket(job.bucket()).sourceKey(job.key())
                .destinationBucket(deadLetterBucket).destinationKey(job.key())
                .metadataDirective(MetadataDirective.REPLACE)
                .metadata(Map.of("ferry-reason", ascii(reason), "ferry-source", ascii(job.bucket() + '/' + job.key()),
                        "ferry-lines-read", Long.toString(job.lines().linesRead()),
                        "ferry-bytes-unread", Long.toString(unread))));
        job.run().unreadable(unread, damage + "; " + extent);
        LOG.error("object {}/{} is {}; {}; {}, the object is copied whole to {}/{}", job.bucket(), job.key(), reason,
                extent, indexed, deadLetterBucket, job.key());
    }

    /**
     * Why a part of a Ferry dump, read to its end, is not what its dump wrote (the count and SHA-256 stored with it),
     * or null: it is not a dump part, or its bytes are the ones its dump wrote. Other bytes are a part replaced or
     * altered since its dump; said as the documents missing (or added) when the count differs too. Same bytes with
     * another line count come from a dump by a Ferry that wrote a source's line breaks as they were (a document
     * indexed pretty-printed): its broken lines are dead letters already, each with its reason.
     */
    static String differsFromItsDump(ResumingObjectStream source, long linesRead) {
        DumpPartMetadata wrote = source.dumpPart();
        String sha256 = source.sha256OfDelivered();
        if (wrote == null || sha256 == null || wrote.sha256().equals(sha256)) {
            return null;
        }
        if (wrote.documents() != linesRead) {
            return "not the part its dump wrote: " + linesRead + " document(s) read, the dump wrote " + wrote.documents()
                    + " (x-amz-meta-documents)";
        }
        return "not the part its dump wrote: its bytes' SHA-256 is " + sha256 + ", the dump wrote " + wrote.sha256()
                + " (x-amz-meta-sha256)";
    }

    /** Closes the run; an unbalanced run fails here, so the object is not marked done and is read again later. */
    public void finish(Exchange exchange) {
        ObjectJob job = job(exchange);
        release(job);
        runs.finish(job.run());
        if (job.run().status() != RunAccount.Status.SUCCEEDED) {
            throw new IllegalStateException("object " + job.bucket() + '/' + job.key() + " not marked done: " + job.run().failure());
        }
    }

    /** Marks the object done once its run balanced. */
    /**
     * The object failed (OpenSearch failing or refusing us, S3 unreachable, the object changed, Ferry stopping): the
     * run fails loudly and the object stays to be redone. Its spooled dead letters are dropped, not uploaded: none is
     * about the cluster (those fail the run instead), and the documents refused one by one are refused again, and
     * dead-lettered once, by the run that completes the object.
     */
    public void failed(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        while (cause != null && cause.getCause() != null && (cause instanceof org.apache.camel.CamelExchangeException
                || cause instanceof org.apache.camel.RuntimeCamelException)) {
            cause = cause.getCause(); // "Multicast processing failed for number 3" says less than its cause
        }
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof dev.ferry.bulk.BulkIndexer.ClusterFailureException && gate != null) {
                gate.clusterFailed(t.getMessage());
                break;
            }
        }
        ObjectJob job = exchange.getProperty(ObjectJob.PROPERTY, ObjectJob.class);
        String reason = cause == null ? "unknown failure" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        // a queue message naming the object is not deleted
        exchange.setProperty(S3EventQueue.OBJECT_FAILED, inbox.bucket() + '/' + (job != null ? job.key()
                : exchange.getMessage().getBody(String.class)) + ": " + reason);
        if (job == null) {
            RunAccount run = exchange.getProperty(RetryCounter.RUN_PROPERTY, RunAccount.class);
            if (run != null) {
                runs.fail(run, reason);
            }
            LOG.error("s3-to-opensearch could not open {}/{}: {}", inbox.bucket(), exchange.getMessage().getBody(), reason);
            return;
        }
        long dropped = job.deadLetters().count();
        release(job);
        runs.fail(job.run(), reason);
        LOG.error("object {}/{} failed and stays in place to be processed again{}: {}", job.bucket(), job.key(),
                dropped == 0 ? "" : " (its " + dropped + " dead letter(s) so far are not uploaded: the rerun finds them again)",
                reason);
    }

    private static void release(ObjectJob job) {
        try {
            job.lines().close();
        } catch (IOException | RuntimeException ignored) {
            // closing an aborted S3 stream may complain; nothing is lost
        }
        job.deadLetters().close();
    }

    private static ObjectJob job(Exchange exchange) {
        return exchange.getProperty(ObjectJob.PROPERTY, ObjectJob.class);
    }

    /** S3 metadata values must be ASCII. */
    static String ascii(String s) {
        String a = s.replaceAll("[^\\x20-\\x7e]", "?");
        return a.length() > 1024 ? a.substring(0, 1024) : a;
    }
}
