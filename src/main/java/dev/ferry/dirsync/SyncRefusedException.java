package dev.ferry.dirsync;

/** The sync refuses to start: a missing source, or deletes that a guard stops. Nothing in S3 has changed. */
public final class SyncRefusedException extends RuntimeException {
    public SyncRefusedException(String message) {
        super(message);
    }
}
