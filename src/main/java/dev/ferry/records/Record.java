package dev.ferry.records;

import java.util.Map;

/**
 * One record of a batch, as a route's steps see it: a document of s3-to-opensearch (its {@code _source} fields), a row
 * of report-to-sql (column name to typed value). Field paths use dots for nested objects ({@code user.name}); a field
 * whose own name holds a dot is found first.
 */
public interface Record {

    /** The record's fields as a mutable map (for a document: parsed on first use; changing it re-serializes it). */
    Map<String, Object> fields();

    /**
     * The fields for reading only (conditions, patterns). A document parsed for a condition alone is still written
     * byte for byte as read; changing this map is a mistake whose change may not be written.
     */
    default Map<String, Object> view() {
        return fields();
    }

    /** The value at a field path, or null when absent. Reading never changes how the record is written. */
    default Object get(String path) {
        return FieldPath.get(view(), path);
    }

    /** Sets the value at a field path, creating nested objects as needed. */
    default void set(String path, Object value) {
        FieldPath.set(fields(), path, value);
    }

    /** Removes the field at a path; returns its value, or null when absent. */
    default Object remove(String path) {
        return FieldPath.remove(fields(), path);
    }

    /**
     * Where the record is to be written, when its pipeline lets a record choose (a document's target index).
     * @throws UnsupportedOperationException for records without one (report rows go to one table)
     */
    default void setTarget(String target) {
        throw new UnsupportedOperationException("a " + getClass().getSimpleName() + " has no target to choose");
    }

    /** Where the record came from, for error messages and dead letters (e.g. {@code bucket/key line 12}). */
    String where();
}
