package io.isol8.core;

/** What the code phase runs: a code file, or a shell command. */
public sealed interface Source {
    /** Program text written to {@code <workdir>/.isol8_main<extension>}. */
    record Code(String text, String extension) implements Source { }

    /** A command run as {@code bash -c <command>}. */
    record Command(String command) implements Source { }
}
