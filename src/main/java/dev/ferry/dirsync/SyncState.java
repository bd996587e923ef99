package dev.ferry.dirsync;

import dev.ferry.config.Sha256;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What Ferry knows of each file it uploaded to one target (bucket, prefix and source directory): size, modification
 * and change time, SHA-256 and the ETag S3 gave the upload. One tab-separated line per file in
 * {@code <state-dir>/dir-to-s3-<target hash>.tsv}, rewritten whole through a temporary file and an atomic rename.
 *
 * <p>An entry is written only after its upload succeeded, so a lost entry (kill -9 between two saves) costs one
 * re-hash and one HEAD on the next run, never a wrong skip.
 */
final class SyncState {

    /** One file as last uploaded (or found equal in S3). Times in nanoseconds since the epoch. */
    record Entry(long size, long mtimeNanos, long ctimeNanos, String sha256, String etag) {
        /** The file is as it was when this entry was written (then its hash is the entry's). */
        boolean sameStamp(long size, long mtimeNanos, long ctimeNanos) {
            return this.size == size && this.mtimeNanos == mtimeNanos && this.ctimeNanos == ctimeNanos;
        }
    }

    private static final String HEADER = "# ferry dir-to-s3 state v1: path (URL-encoded), size, mtime ns, ctime ns, sha256, etag";

    private final Path file;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    private SyncState(Path file) {
        this.file = file;
    }

    /** The state of this target: two targets (or two sources into one target) never share entries. */
    static SyncState load(Path stateDir, String bucket, String prefix, Path sourceDir) {
        SyncState state = new SyncState(stateDir.resolve("dir-to-s3-" + targetId(bucket, prefix, sourceDir) + ".tsv"));
        try (BufferedReader in = Files.newBufferedReader(state.file, StandardCharsets.UTF_8)) {
            int lineNo = 0;
            for (String line; (line = in.readLine()) != null; ) {
                lineNo++;
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                if (f.length != 6) {
                    // a damaged line is forgotten, never guessed at: the file is hashed again
                    continue;
                }
                try {
                    state.entries.put(URLDecoder.decode(f[0], StandardCharsets.UTF_8),
                            new Entry(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), f[4], f[5]));
                } catch (RuntimeException e) {
                    // same: unreadable line, no entry
                }
            }
        } catch (NoSuchFileException e) {
            // first run for this target
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the dir-to-s3 state " + state.file + ": " + e.getMessage(), e);
        }
        return state;
    }

    static String targetId(String bucket, String prefix, Path sourceDir) {
        MessageDigest md = Sha256.newDigest();
        md.update((bucket + '\0' + prefix + '\0' + sourceDir.toAbsolutePath().normalize())
                .getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    Path file() {
        return file;
    }

    Entry get(String relPath) {
        return entries.get(relPath);
    }

    void put(String relPath, Entry entry) {
        entries.put(relPath, entry);
    }

    int size() {
        return entries.size();
    }

    /** The files it knows, relative to the source. */
    Set<String> relPaths() {
        return entries.keySet();
    }

    /** Forgets the files no longer in the source (only after a complete walk of it). */
    void retainOnly(Set<String> relPaths) {
        entries.keySet().retainAll(relPaths);
    }

    /** Writes every entry to a temporary file, then renames it over the state file: a crash leaves old or new. */
    synchronized void save() {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            // The file's own stream is closed by its own resource: when a write fails (a full disk), the writer's
            // close fails flushing the same bytes and never reaches it, and the deleted file kept its room while open.
            try (OutputStream stream = Files.newOutputStream(tmp);
                 BufferedWriter out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8))) {
                out.write(HEADER);
                out.write('\n');
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    Entry v = e.getValue();
                    out.write(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + '\t' + v.size() + '\t'
                            + v.mtimeNanos() + '\t' + v.ctimeNanos() + '\t' + v.sha256() + '\t' + v.etag() + '\n');
                }
            } catch (IOException e) {
                Files.deleteIfExists(tmp); // a full disk keeps no half-written copy taking its room
                throw e;
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the dir-to-s3 state " + file + ": " + e.getMessage(), e);
        }
    }
}
