package io.isol8.engine;

/** The two output streams of a program. */
public enum StreamKind {
    STDOUT, STDERR;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
