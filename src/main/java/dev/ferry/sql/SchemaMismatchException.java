package dev.ferry.sql;

/** The target table does not have the shape Ferry writes (a custom migration missed a step): nothing is loaded. */
public final class SchemaMismatchException extends IllegalStateException {

    public SchemaMismatchException(String message) {
        super(message);
    }
}
