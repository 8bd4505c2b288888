package io.isol8.engine;

/** The phases of an execution as the stream reports them (install output is reported as setup). */
public enum Phase {
    SETUP, CODE;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
