package dev.ferry.dump;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A dump destination in a local directory ({@code file:/var/ferry/dumps}): the same folders, parts, checkpoint and
 * manifest as in S3, as files. Every file is written crash-safe: into a hidden temporary file in the same directory
 * ({@code .<name>.<random>.tmp}), forced to disk, then renamed over its name in one atomic step and the directory
 * forced too. So a part, a checkpoint or a manifest is either all there under its name or not there at all; what a
 * crash leaves is a temporary file, which never looks like a part and which a resume removes.
 */
public final class DirectoryDumpDestination implements DumpDestination {

    private static final String TEMPORARY = ".tmp";

    private final Path directory;

    public DirectoryDumpDestination(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    public Path directory() {
        return directory;
    }

    @Override
    public String root() {
        return "";
    }

    @Override
    public String locate(String key) {
        return "file:" + directory.resolve(key);
    }

    @Override
    public void putPart(String key, SpooledPart part) {
        Path target = path(key);
        write(target, "part", out -> {
            try (FileChannel in = FileChannel.open(part.file(), StandardOpenOption.READ)) {
                long size = in.size();
                for (long done = 0; done < size; ) {
                    done += in.transferTo(done, size - done, out);
                }
            }
            if (out.size() != part.bytes()) {
                throw new IOException("wrote " + out.size() + " bytes of " + part.bytes() + " from " + part.file());
            }
        });
    }

    @Override
    public void writeCheckpoint(String folder, JsonNode checkpoint) {
        writeJson(folder + CHECKPOINT, checkpoint);
    }

    @Override
    public Optional<JsonNode> readCheckpoint(String folder) {
        return readJson(folder + CHECKPOINT);
    }

    @Override
    public Optional<JsonNode> readJson(String key) {
        Path file = path(key);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure("read", file, e);
        }
        try {
            return Optional.of(DumpStore.mapper().readTree(bytes));
        } catch (IOException e) {
            throw new Failure(locate(key) + " is not JSON: " + e.getMessage(), e, false);
        }
    }

    @Override
    public void deleteCheckpoint(String folder) {
        delete(folder + CHECKPOINT);
    }

    @Override
    public void writeManifest(String folder, JsonNode manifest) {
        writeJson(folder + MANIFEST, manifest);
    }

    @Override
    public boolean hasManifest(String folder) {
        return Files.isRegularFile(path(folder + MANIFEST));
    }

    @Override
    public List<String> dumps(String folder) {
        return list(folder, f -> Files.isDirectory(f) && !f.getFileName().toString().startsWith("."), "/");
    }

    @Override
    public List<String> parts(String folder) {
        return list(folder, f -> {
            String name = f.getFileName().toString();
            return Files.isRegularFile(f)
                    && (PartCompression.isPart(name) || name.startsWith(".") && name.endsWith(TEMPORARY));
        }, "");
    }

    @Override
    public boolean holdsPart(String key, long bytes, String sha256) {
        Path file = path(key);
        try {
            return Files.isRegularFile(file) && Files.size(file) == bytes;
        } catch (IOException e) {
            throw failure("read", file, e);
        }
    }

    @Override
    public void delete(String key) {
        Path file = path(key);
        try {
            if (Files.deleteIfExists(file)) {
                force(file.getParent());
            }
        } catch (IOException e) {
            throw failure("delete", file, e);
        }
    }

    private List<String> list(String folder, java.util.function.Predicate<Path> wanted, String suffix) {
        Path dir = path(folder);
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(wanted).forEach(f -> found.add(folder + f.getFileName() + suffix));
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw failure("list", dir, e);
        }
        found.sort(null);
        return found;
    }

    @Override
    public void writeJson(String key, JsonNode json) {
        byte[] bytes;
        try {
            bytes = DumpStore.mapper().writeValueAsBytes(json);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        write(path(key), "file", out -> {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        });
    }

    private interface Content {
        void writeTo(FileChannel out) throws IOException;
    }

    /** Temporary file beside the target, forced to disk, renamed over the target, directory forced. */
    private void write(Path target, String what, Content content) {
        Path tmp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + TEMPORARY);
        try {
            createDirectories(target.getParent());
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(out);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            force(target.getParent());
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e instanceof Failure f ? f : failure("write " + what, target, e);
        }
    }

    /** Creates missing directories below the destination, forcing each new entry to disk with its parent. */
    private void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.equals(directory)) {
            Files.createDirectories(dir);
            return;
        }
        createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            return; // another slice made it meanwhile
        }
        force(dir.getParent());
    }

    /** fsync of a directory: makes the names created, renamed or removed in it durable. */
    private static void force(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private Path path(String key) {
        Path p = directory.resolve(key).normalize();
        if (!p.startsWith(directory)) {
            throw new IllegalArgumentException("key " + key + " is outside " + directory);
        }
        return p;
    }

    private Failure failure(String request, Path file, Exception e) {
        String message = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        // a local disk that refused (full, read-only, no permission) does not recover within a backoff: fail now
        return new Failure("cannot " + request + " file:" + file + ": " + message, e, false);
    }
}
