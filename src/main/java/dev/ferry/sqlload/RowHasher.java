package dev.ferry.sqlload;

import dev.ferry.config.Sha256;

import java.security.DigestException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The content hash that identifies a row across a report, overlapping windows and runs: SHA-256 over the normalized
 * converted values of the key columns (all loaded columns when none are configured). Normalizing first means
 * {@code 1.50} and {@code 1.5}, or the same instant written in two ways, are the same row.
 *
 * <p>Only the first {@value #BYTES} bytes (128 bits) of the digest are kept, stored as {@code BINARY(16)}
 * ({@code bytea} on PostgreSQL): a quarter of the 64 hex characters the whole digest took, for the unique index and
 * every comparison, and collisions stay negligible (about 1e-21 at a billion rows). Tables from before keep their
 * rows: the V2 migration cuts each stored hex hash to the same 16 bytes.
 */
public final class RowHasher {

    /** Bytes of the SHA-256 digest kept. */
    public static final int BYTES = 16;

    private final ColumnMapping mapping;
    private final int[] keyIndexes;

    public RowHasher(ColumnMapping mapping, List<String> keyColumns) {
        this.mapping = mapping;
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < mapping.columns().size(); i++) {
            ColumnMapping.Column c = mapping.columns().get(i);
            if (keyColumns.isEmpty() ? c.loaded() && !c.derived() : keyColumns.contains(c.reportColumn())) {
                indexes.add(i);
            }
        }
        for (String key : keyColumns) {
            if (!mapping.reportColumns().contains(key)) {
                throw new IllegalArgumentException("key column '" + key + "' is not a mapped report column");
            }
        }
        this.keyIndexes = indexes.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The first {@value #BYTES} bytes of the digest (for one row; a batch hashes with one {@link #digester()}). */
    public byte[] hash(Object[] values) {
        return digester().hash(values);
    }

    /**
     * A digest and a buffer for the rows of one batch, used by one thread: per batch rather than per thread (a
     * thread-local looked up for every row cost more than the rest of the row's hashing but SHA-256 itself).
     */
    public Digester digester() {
        return new Digester();
    }

    public final class Digester {
        private final MessageDigest digest = Sha256.newDigest();
        private final ByteBuilder input = new ByteBuilder(512);
        private final byte[] output = new byte[digest.getDigestLength()];

        private Digester() {
        }

        /** The first {@value #BYTES} bytes of the digest. */
        public byte[] hash(Object[] values) {
            ByteBuilder in = input;
            in.reset();
            for (int i : keyIndexes) {
                Object v = values[i];
                // Length-prefixed, so ("ab","c") and ("a","bc") differ, and null differs from "": "<bytes>:<UTF-8>" or "-1:".
                if (v == null) {
                    in.ascii("-1:");
                } else {
                    // text columns normalize to themselves
                    lengthPrefixed(in, v instanceof String text ? text : mapping.columns().get(i).type().normalized(v));
                }
            }
            digest.update(in.buf, 0, in.len);
            try {
                digest.digest(output, 0, output.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e); // the output is the digest's own length
            }
            return Arrays.copyOf(output, BYTES);
        }
    }

    /** {@code <UTF-8 length>:<UTF-8 bytes>}. */
    private static void lengthPrefixed(ByteBuilder in, String s) {
        in.decimal(ByteBuilder.utf8Length(s));
        in.write(':');
        in.utf8(s);
    }
}
