package dev.ferry.dirsync;

import dev.ferry.testing.SmallDisk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The state saved onto a disk that fills up, at many fill levels and state sizes (so the disk runs out at many points
 * of the writer's buffers): every save fails naming the disk's error, and leaves neither a file nor held room behind.
 * On a real 512 KiB tmpfs (needs root; skipped otherwise).
 */
class SyncStateFullDiskTest {

    @TempDir
    Path work;

    @Test
    void aSaveThatRunsOutOfDiskLeavesNoFileAndHoldsNoRoom() throws Exception {
        Path stateDir = work.resolve("state");
        try (SmallDisk disk = SmallDisk.mount(stateDir, "512k")) {
            long total = Files.getFileStore(stateDir).getUsableSpace();
            Path filler = stateDir.resolve("other-data.bin");
            for (int freeKiB = 4; freeKiB <= 64; freeKiB += 4) {
                Files.deleteIfExists(filler);
                Files.write(filler, new byte[(int) total - freeKiB * 1024]);
                long room = Files.getFileStore(stateDir).getUsableSpace();
                for (int extra = 0; extra < 8; extra++) {
                    SyncState state = SyncState.load(stateDir, "bucket", "prefix/", work.resolve("source"));
                    for (int i = 0; i < 1000 + extra * 37; i++) {
                        state.put("folder " + i % 7 + "/file-" + i + ".txt", new SyncState.Entry(i, 1_700_000_000_000_000_000L + i,
                                1_700_000_000_000_000_000L + i, "ab".repeat(32), "etag-" + i));
                    }
                    assertThatThrownBy(state::save).isInstanceOf(UncheckedIOException.class)
                            .hasMessageContaining("cannot write the dir-to-s3 state").hasMessageContaining("No space left");
                    try (var left = Files.list(stateDir)) {
                        assertThat(left).as("%d KiB free, %d entries", freeKiB, 1000 + extra * 37).containsExactly(filler);
                    }
                    assertThat(Files.getFileStore(stateDir).getUsableSpace())
                            .as("%d KiB free, %d entries: the failed save's file is closed, not only deleted", freeKiB,
                                    1000 + extra * 37)
                            .isEqualTo(room);
                }
            }
        }
    }
}
