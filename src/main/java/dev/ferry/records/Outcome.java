package dev.ferry.records;

/** What one transform operation decided for one record: keep it (changed or not), drop it, or dead-letter it. */
public record Outcome(Kind kind, String reason) {

    public enum Kind { KEEP, DROP, DEAD_LETTER }

    public static final Outcome KEEP = new Outcome(Kind.KEEP, null);
    public static final Outcome DROP = new Outcome(Kind.DROP, null);

    public static Outcome deadLetter(String reason) {
        return new Outcome(Kind.DEAD_LETTER, reason);
    }
}
