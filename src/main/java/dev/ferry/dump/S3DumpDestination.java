package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Optional;

/** A dump destination in S3: {@code s3://bucket/prefix}, written with the part uploader and the JSON store. */
public final class S3DumpDestination implements DumpDestination {

    private final String bucket;
    private final String root;
    private final PartUploader uploader;
    private final DumpStore store;

    /** {@code prefix} without leading or trailing '/', empty for the bucket's root. */
    public S3DumpDestination(String bucket, String prefix, PartUploader uploader, DumpStore store) {
        this.bucket = bucket;
        this.root = prefix.isEmpty() ? "" : prefix + "/";
        this.uploader = uploader;
        this.store = store;
    }

    @Override
    public String root() {
        return root;
    }

    @Override
    public String locate(String key) {
        return "s3://" + bucket + "/" + key;
    }

    @Override
    public void putPart(String key, SpooledPart part) {
        uploader.upload(bucket, key, part);
    }

    @Override
    public void writeCheckpoint(String folder, JsonNode checkpoint) {
        store.put(bucket, folder + CHECKPOINT, checkpoint);
    }

    @Override
    public Optional<JsonNode> readCheckpoint(String folder) {
        return store.get(bucket, folder + CHECKPOINT);
    }

    @Override
    public void writeJson(String key, JsonNode json) {
        store.put(bucket, key, json);
    }

    @Override
    public Optional<JsonNode> readJson(String key) {
        return store.get(bucket, key);
    }

    @Override
    public void deleteCheckpoint(String folder) {
        store.delete(bucket, folder + CHECKPOINT);
    }

    @Override
    public void writeManifest(String folder, JsonNode manifest) {
        store.put(bucket, folder + MANIFEST, manifest);
    }

    @Override
    public boolean hasManifest(String folder) {
        return store.exists(bucket, folder + MANIFEST);
    }

    @Override
    public List<String> dumps(String folder) {
        return store.folders(bucket, folder);
    }

    /** An unfinished multipart upload is not an object (and is aborted on failure): only complete parts are listed. */
    @Override
    public List<String> parts(String folder) {
        return store.keys(bucket, folder).stream().filter(PartCompression::isPart).toList();
    }

    @Override
    public boolean holdsPart(String key, long bytes, String sha256) {
        return store.head(bucket, key).map(h -> {
            dev.ferry.config.DumpPartMetadata stored = dev.ferry.config.DumpPartMetadata.of(h.metadata());
            return h.contentLength() == bytes && stored != null && stored.sha256().equals(sha256);
        }).orElse(false);
    }

    @Override
    public void delete(String key) {
        store.delete(bucket, key);
    }
}
