package dev.ferry.dirsync;

import java.nio.file.Path;

/**
 * One file of the source on its way through a sync: where it is, its key in S3, and what examining it found. The
 * record a route step addresses ({@code ${body.relPath}}, {@code ${body.size}}, {@code ${body.key}}).
 */
public final class SyncFile {

    private final String relPath;
    private final Path path;
    private final String key;
    private volatile long size;
    private volatile long mtimeNanos;
    private volatile long ctimeNanos;
    private volatile String sha256;

    SyncFile(String relPath, Path path, String key, long size, long mtimeNanos, long ctimeNanos) {
        this.relPath = relPath;
        this.path = path;
        this.key = key;
        this.size = size;
        this.mtimeNanos = mtimeNanos;
        this.ctimeNanos = ctimeNanos;
    }

    public String getRelPath() { return relPath; }
    public Path getPath() { return path; }
    public String getKey() { return key; }
    public long getSize() { return size; }
    public long getMtimeNanos() { return mtimeNanos; }
    /** The inode's change time (-1 where the file system has none): moves with every write, and cannot be set back. */
    public long getCtimeNanos() { return ctimeNanos; }
    public String getSha256() { return sha256; }

    /** What the file was when it was hashed: the upload must find it the same afterwards. */
    void examined(long size, long mtimeNanos, long ctimeNanos, String sha256) {
        this.size = size;
        this.mtimeNanos = mtimeNanos;
        this.ctimeNanos = ctimeNanos;
        this.sha256 = sha256;
    }

    @Override
    public String toString() {
        return relPath;
    }
}
