package dev.ferry.sqlload;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The batch's hash set answers as a HashSet of the same hashes does, past its first size, and the UTF-8 it hashes is Java's. */
class RowHashSetTest {

    @Test
    void answersAsAHashSetDoesWhileGrowingPastItsExpectedSize() {
        Random random = new Random(11);
        List<byte[]> hashes = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            byte[] h = new byte[RowHasher.BYTES];
            random.nextBytes(h);
            if (i % 7 == 0) {
                h = Arrays.copyOf(hashes.isEmpty() ? h : hashes.get(random.nextInt(hashes.size())), RowHasher.BYTES);
            } else if (i % 11 == 0) {
                Arrays.fill(h, 0, 8, (byte) 0); // the same high half, differing in the low one
            } else if (i % 13 == 0) {
                h = new byte[RowHasher.BYTES]; // all zero: a hash like any other
            }
            hashes.add(h);
        }
        RowHashSet set = new RowHashSet(10); // grows many times over
        Set<ByteBuffer> reference = new HashSet<>();
        for (byte[] h : hashes) {
            assertThat(set.contains(h)).isEqualTo(reference.contains(ByteBuffer.wrap(h)));
            assertThat(set.add(h)).isEqualTo(reference.add(ByteBuffer.wrap(h)));
            assertThat(set.contains(h)).isTrue();
        }
        assertThat(set.size()).isEqualTo(reference.size()).isLessThan(hashes.size());
        for (int i = 0; i < 2000; i++) {
            byte[] absent = new byte[RowHasher.BYTES];
            random.nextBytes(absent);
            assertThat(set.contains(absent)).isEqualTo(reference.contains(ByteBuffer.wrap(absent)));
        }
        assertThat(new RowHashSet(0).isEmpty()).isTrue();
    }

    @Test
    void aHashOfAnotherLengthIsRefusedNamingIt() {
        assertThatThrownBy(() -> new RowHashSet(4).add(new byte[32]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16 bytes, not 32");
    }

    @Test
    void utf8IsWrittenAsStringGetBytesWritesIt() {
        Random random = new Random(5);
        char[] pool = {'a', 'Z', '0', '\t', '\u007f', '\u0080', '\u00e9', '\u07ff', '\u0800', '\u4e2d', '\uffff',
                '\ud83d', '\ude00', '\udbff', '\udc00'};
        for (int n = 0; n < 20_000; n++) {
            char[] chars = new char[random.nextInt(12)];
            for (int i = 0; i < chars.length; i++) {
                chars[i] = random.nextInt(4) == 0 ? (char) random.nextInt(0x10000) : pool[random.nextInt(pool.length)];
            }
            String s = new String(chars);
            ByteBuilder out = new ByteBuilder(1);
            out.write('x');
            out.utf8(s);
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            assertThat(Arrays.copyOfRange(out.buf, 1, out.len)).as("%s", s.chars().mapToObj(Integer::toHexString).toList())
                    .isEqualTo(expected);
            assertThat(ByteBuilder.utf8Length(s)).isEqualTo(expected.length);
        }
    }

    @Test
    void decimalIsIntegerToString() {
        for (int v : new int[] {0, 7, 9, 10, 99, 100, 12345, Integer.MAX_VALUE, -1, Integer.MIN_VALUE}) {
            ByteBuilder out = new ByteBuilder(1);
            out.decimal(v);
            assertThat(new String(out.toByteArray(), StandardCharsets.US_ASCII)).isEqualTo(Integer.toString(v));
        }
    }
}
