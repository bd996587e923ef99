package dev.ferry.sql;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The content hash that identifies a row across a report, overlapping windows and runs: SHA-256 over the normalized
 * converted values of the key columns (all loaded columns when none are configured). Normalizing first means
 * {@code 1.50} and {@code 1.5}, or the same instant written in two ways, are the same row.
 */
public final class RowHasher {

    private final ColumnMapping mapping;
    private final int[] keyIndexes;

    public RowHasher(ColumnMapping mapping, List<String> keyColumns) {
        this.mapping = mapping;
        List<Integer> indexes = new ArrayList<>();
        for (int i = 0; i < mapping.columns().size(); i++) {
            ColumnMapping.Column c = mapping.columns().get(i);
            if (keyColumns.isEmpty() ? c.loaded() : keyColumns.contains(c.reportColumn())) {
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

    /** 64 hex characters. */
    public String hash(Object[] values) {
        MessageDigest digest = sha256();
        for (int i : keyIndexes) {
            Object v = values[i];
            // Length-prefixed, so ("ab","c") and ("a","bc") differ, and null differs from "".
            String text = v == null ? null : mapping.columns().get(i).type().normalized(v);
            byte[] bytes = text == null ? new byte[0] : text.getBytes(StandardCharsets.UTF_8);
            digest.update((text == null ? "-1:" : bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
            digest.update(bytes);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
