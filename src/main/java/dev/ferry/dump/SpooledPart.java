package dev.ferry.dump;

import java.nio.file.Path;

/**
 * One finished part of a dump, compressed on the local spool and waiting for upload.
 *
 * @param number    part number (part-NNNNN)
 * @param slice     the slice whose documents it holds
 * @param file      the spooled object bytes
 * @param documents dump lines in it
 * @param bytes     size of the object (compressed)
 * @param sha256    hex SHA-256 of the object bytes
 * @param lastSort  raw JSON sort values of its last document: where its slice resumes after it
 * @param compression how its bytes are compressed (its name's suffix, its Content-Encoding)
 */
public record SpooledPart(int number, int slice, Path file, long documents, long bytes, String sha256, byte[] lastSort,
                          PartCompression compression) {

    public String name() {
        return compression.partName(number);
    }
}
