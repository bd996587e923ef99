package dev.ferry.dump;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The local-directory destination on its own: what is under a name is always whole, and what a resume lists. */
class DirectoryDumpDestinationTest {

    @TempDir
    Path dir;

    @Test
    void aPartThatCannotBeStoredWhollyLeavesNothingUnderItsName() throws Exception {
        DirectoryDumpDestination destination = new DirectoryDumpDestination(dir.resolve("dumps"));
        Path spool = Files.write(dir.resolve("spooled"), new byte[100]);
        destination.putPart("idx/d1/part-00001.ndjson.gz", new SpooledPart(1, 0, spool, 3, 100, "sha", null, PartCompression.GZIP));
        assertThat(dir.resolve("dumps/idx/d1/part-00001.ndjson.gz")).hasSize(100);

        // the spool file holds less than the part should: the write fails and no part, no temporary file is left
        SpooledPart shortPart = new SpooledPart(2, 0, spool, 3, 150, "sha", null, PartCompression.GZIP);
        assertThatThrownBy(() -> destination.putPart("idx/d1/part-00002.ndjson.gz", shortPart))
                .isInstanceOf(DumpDestination.Failure.class)
                .hasMessageContaining("file:" + dir.resolve("dumps/idx/d1/part-00002.ndjson.gz"))
                .hasMessageContaining("wrote 100 bytes of 150");
        assertThat(files(dir.resolve("dumps/idx/d1"))).containsExactly("part-00001.ndjson.gz");
        assertThat(destination.parts("idx/d1/")).containsExactly("idx/d1/part-00001.ndjson.gz");
    }

    @Test
    void checkpointAndManifestAreReplacedWholeAndAResumeSeesLeftoversAsParts() throws Exception {
        DirectoryDumpDestination destination = new DirectoryDumpDestination(dir);
        ObjectNode first = DumpStore.mapper().createObjectNode().put("documents", 1);
        ObjectNode second = DumpStore.mapper().createObjectNode().put("documents", 2);
        destination.writeCheckpoint("idx/d2/", first);
        destination.writeCheckpoint("idx/d2/", second);
        assertThat(destination.readCheckpoint("idx/d2/")).contains(second);
        assertThat(destination.readCheckpoint("idx/none/")).isEmpty();
        assertThat(destination.hasManifest("idx/d2/")).isFalse();
        destination.writeManifest("idx/d2/", first);
        assertThat(destination.hasManifest("idx/d2/")).isTrue();
        destination.deleteCheckpoint("idx/d2/");
        assertThat(files(dir.resolve("idx/d2"))).containsExactly("manifest.json");

        Files.createDirectories(dir.resolve("idx/d1"));
        Files.write(dir.resolve("idx/d1/.part-00007.ndjson.gz.ab12.tmp"), new byte[] {1});
        Files.write(dir.resolve("idx/d1/part-00003.ndjson.gz"), new byte[] {1});
        Files.write(dir.resolve("idx/d1/checkpoint.json"), "{}".getBytes());
        assertThat(destination.dumps("idx/")).containsExactly("idx/d1/", "idx/d2/");
        assertThat(destination.parts("idx/d1/"))
                .containsExactly("idx/d1/.part-00007.ndjson.gz.ab12.tmp", "idx/d1/part-00003.ndjson.gz");
        assertThat(destination.dumps("other/")).isEmpty();
        assertThatThrownBy(() -> destination.delete("../outside")).isInstanceOf(IllegalArgumentException.class);
    }

    private static java.util.List<String> files(Path folder) throws Exception {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
