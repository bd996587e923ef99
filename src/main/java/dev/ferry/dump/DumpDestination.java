package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Optional;

/**
 * Where a dump's parts, checkpoint and manifest go ({@code ferry.opensearch-to-s3.destination}): an S3 bucket and
 * prefix ({@link S3DumpDestination}) or a local directory ({@link DirectoryDumpDestination}). Keys are '/'-separated
 * paths below the destination; a folder key ends with '/'. The dump and its resume see only this interface.
 */
public interface DumpDestination {

    String MANIFEST = "manifest.json";
    String CHECKPOINT = "checkpoint.json";

    /** The folder under which dumps go: the S3 key prefix ("" or "prefix/"), "" for a directory. */
    String root();

    /** Where a key is, for logs and run summaries: {@code s3://bucket/key} or {@code file:/dir/key}. */
    String locate(String key);

    /** Stores a spooled part under {@code key}; it is visible under that key only once all of it is stored. */
    void putPart(String key, SpooledPart part);

    /** Writes (or replaces) the folder's checkpoint.json: all of the new one or, on a failure, still the old one. */
    void writeCheckpoint(String folder, JsonNode checkpoint);

    Optional<JsonNode> readCheckpoint(String folder);

    void deleteCheckpoint(String folder);

    /**
     * A dump shared by replicas keeps one checkpoint per slice beside checkpoint.json, written by the replica reading
     * the slice: {@code slice-NNNNN.checkpoint.json} (not a part, and not data for a restore: it ends in .json).
     */
    static String sliceCheckpoint(int slice) {
        return String.format("slice-%05d.checkpoint.json", slice);
    }

    /** Writes (or replaces) the JSON object {@code key}: all of the new one or, on a failure, still the old one. */
    void writeJson(String key, JsonNode json);

    /** The JSON object {@code key}, empty when there is none. */
    Optional<JsonNode> readJson(String key);

    /** Writes the folder's manifest.json, all or nothing: the dump is complete once it exists. */
    void writeManifest(String folder, JsonNode manifest);

    boolean hasManifest(String folder);

    /** The dump folders directly under {@code folder}, sorted (by dump id, so by start time). */
    List<String> dumps(String folder);

    /**
     * The parts in a dump folder, and anything unfinished a crash left there (a part or a JSON file being written;
     * never a complete-looking part): what a resume removes unless its checkpoint holds it.
     */
    List<String> parts(String folder);

    void delete(String key);

    /**
     * Whether {@code key} holds the part a checkpoint names: its size, and its SHA-256 where the destination keeps it
     * (S3: the metadata its upload stored; a directory: the size only).
     */
    boolean holdsPart(String key, long bytes, String sha256);

    /** A failed request to the destination, naming it, the key and the cause; never a credential. */
    class Failure extends RuntimeException {
        private final boolean retryable;

        public Failure(String message, Throwable cause, boolean retryable) {
            super(message, cause);
            this.retryable = retryable;
        }

        /** True when the same request may succeed after a backoff (a connection, a timeout, 429 or 5xx). */
        public boolean retryable() {
            return retryable;
        }
    }
}
