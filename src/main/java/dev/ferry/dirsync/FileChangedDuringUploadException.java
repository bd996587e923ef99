package dev.ferry.dirsync;

/** The file's size or modification time moved while it was being uploaded: the upload is done again. */
public final class FileChangedDuringUploadException extends Exception {
    public FileChangedDuringUploadException(String message) {
        super(message);
    }
}
