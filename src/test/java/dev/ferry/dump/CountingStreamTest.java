package dev.ferry.dump;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class CountingStreamTest {

    @Test
    void countsEveryByteWrittenThroughAndPassesThemOnUnchanged() throws Exception {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        byte[] text = "a,b\r\n1,2\r\n".getBytes(StandardCharsets.UTF_8);
        try (CountingStream out = new CountingStream(sink)) {
            out.write('x');
            out.write(text);
            out.write(text, 5, 3);
            assertThat(out.count()).isEqualTo(1 + text.length + 3);
        }
        assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("x" + "a,b\r\n1,2\r\n" + "1,2");
    }
}
