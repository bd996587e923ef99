package dev.ferry.dump;

import dev.ferry.testing.SmallDisk;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A part spooled onto a disk that fills up: the write fails loudly, and abandoning the part gives the room back.
 * On a real 256 KiB tmpfs (needs root; skipped otherwise).
 */
class PartWriterFullDiskTest {

    @TempDir
    Path work;

    @ParameterizedTest
    @EnumSource(PartCompression.class)
    void anAbandonedPartOnAFullDiskIsDeletedAndClosedSoItsRoomComesBack(PartCompression compression) throws Exception {
        Path spool = work.resolve("spool");
        try (SmallDisk disk = SmallDisk.mount(spool, "256k")) {
            long room = Files.getFileStore(spool).getUsableSpace();
            PartWriter part = new PartWriter(spool, "dump", 1, 0, compression, 1);
            byte[] incompressible = new byte[16 * 1024];
            Random random = new Random(3);
            assertThatThrownBy(() -> {
                OutputStream lines = part.lines();
                for (int i = 0; i < 1000; i++) { // 16 MB: far more than the disk holds
                    random.nextBytes(incompressible);
                    lines.write(incompressible);
                    part.lineWritten(incompressible.length);
                }
                lines.flush();
            }).isInstanceOf(IOException.class).hasMessageContaining("No space left on device");

            part.close();
            try (var left = Files.list(spool)) {
                assertThat(left).as("the part's spool file is deleted").isEmpty();
            }
            assertThat(Files.getFileStore(spool).getUsableSpace())
                    .as("and closed: a deleted file still open keeps its room until the JVM lets it go")
                    .isEqualTo(room);
        }
    }
}
