package dev.ferry.sqlload;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A set of row hashes ({@value RowHasher#BYTES} bytes each, {@link RowHasher}) for one batch, used by one thread:
 * open addressing over two longs per hash, no object per entry. It replaced a {@code HashSet} of wrapped arrays, whose
 * nodes and byte-by-byte {@code ByteBuffer} hashing were a fifth of an all-duplicates reload's writer time.
 */
final class RowHashSet {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private long[] keys; // slot i: keys[2i], keys[2i + 1]
    private boolean[] used;
    private int mask;
    private int size;

    /** Room for {@code expected} hashes before it grows. */
    RowHashSet(int expected) {
        allocate(Integer.highestOneBit(Math.max(8, 2 * expected) - 1) << 1);
    }

    /** Adds the hash; false when the set had it already. */
    boolean add(byte[] hash) {
        long hi = high(hash);
        long lo = low(hash);
        int i = slot(hi, lo);
        while (used[i]) {
            if (keys[2 * i] == hi && keys[2 * i + 1] == lo) {
                return false;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[2 * i] = hi;
        keys[2 * i + 1] = lo;
        if (++size * 2 > used.length) {
            grow();
        }
        return true;
    }

    boolean contains(byte[] hash) {
        long hi = high(hash);
        long lo = low(hash);
        for (int i = slot(hi, lo); used[i]; i = (i + 1) & mask) {
            if (keys[2 * i] == hi && keys[2 * i + 1] == lo) {
                return true;
            }
        }
        return false;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    private int slot(long hi, long lo) {
        long mixed = (hi ^ lo) * 0x9E3779B97F4A7C15L; // the hashes are SHA-256 bytes already: mixed only for the mask
        return (int) (mixed >>> 32) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        boolean[] oldUsed = used;
        allocate(2 * oldUsed.length);
        for (int s = 0; s < oldUsed.length; s++) {
            if (oldUsed[s]) {
                int i = slot(oldKeys[2 * s], oldKeys[2 * s + 1]);
                while (used[i]) {
                    i = (i + 1) & mask;
                }
                used[i] = true;
                keys[2 * i] = oldKeys[2 * s];
                keys[2 * i + 1] = oldKeys[2 * s + 1];
            }
        }
    }

    private void allocate(int slots) {
        keys = new long[2 * slots];
        used = new boolean[slots];
        mask = slots - 1;
    }

    private static long high(byte[] hash) {
        check(hash);
        return (long) LONGS.get(hash, 0);
    }

    private static long low(byte[] hash) {
        return (long) LONGS.get(hash, 8);
    }

    private static void check(byte[] hash) {
        if (hash.length != RowHasher.BYTES) {
            throw new IllegalArgumentException("a row hash has " + RowHasher.BYTES + " bytes, not " + hash.length);
        }
    }
}
