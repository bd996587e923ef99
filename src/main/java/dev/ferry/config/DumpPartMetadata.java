package dev.ferry.config;

import java.util.Map;

/**
 * What an opensearch-to-s3 dump stores with each part it uploads, as S3 object metadata: the part's document count
 * ({@code x-amz-meta-documents}) and the hex SHA-256 of its stored bytes ({@code x-amz-meta-sha256}). The dump writes
 * it; s3-to-opensearch reads it back to check a part read to its end.
 */
public record DumpPartMetadata(long documents, String sha256) {

    /** The metadata name of the part's document count. */
    public static final String DOCUMENTS = "documents";
    /** The metadata name of the hex SHA-256 of the part's stored bytes. */
    public static final String SHA256 = "sha256";

    /** The metadata to store with the part. */
    public Map<String, String> asMetadata() {
        return Map.of(SHA256, sha256, DOCUMENTS, String.valueOf(documents));
    }

    /** What a dump stored with an object, or null when it is not a part of Ferry's dumps (or not as they write it). */
    public static DumpPartMetadata of(Map<String, String> metadata) {
        String documents = null;
        String sha256 = null;
        for (Map.Entry<String, String> e : metadata.entrySet()) { // some stores keep the header's case
            if (e.getKey().equalsIgnoreCase(DOCUMENTS)) {
                documents = e.getValue();
            } else if (e.getKey().equalsIgnoreCase(SHA256)) {
                sha256 = e.getValue();
            }
        }
        if (documents == null || sha256 == null || !documents.matches("\\d{1,18}") || !sha256.matches("[0-9a-f]{64}")) {
            return null;
        }
        return new DumpPartMetadata(Long.parseLong(documents), sha256);
    }
}
