package dev.ferry.dirsync;

/**
 * A file of the source that cannot be read (permission denied, vanished, a broken symlink). The file is counted failed
 * with this message as its reason and the sync goes on; it is never a fault of S3.
 */
public final class UnreadableFileException extends Exception {
    public UnreadableFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
