package io.isol8.engine.docker.setup;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** Host commands run by setup (debootstrap, tar, npm, …): argv lists, never a shell string with user data. */
final class Commands {
    private Commands() {
    }

    /**
     * Runs {@code argv} with stdin from /dev/null and stdout+stderr appended to {@code log}; returns the exit
     * code.
     *
     * @throws SetupException the program cannot be started (not installed)
     */
    static int run(List<String> argv, Path log) {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Process p = pb.start();
            return p.waitFor();
        } catch (IOException e) {
            throw new SetupException(argv.getFirst() + " could not be started: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SetupException(argv.getFirst() + " was interrupted", e);
        }
    }

    /** Runs {@code argv} and returns its trimmed stdout, or empty when it fails or cannot start. */
    static Optional<String> output(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor() == 0 ? Optional.of(out) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The executable {@code name} on PATH (plus /usr/sbin and /sbin, where debootstrap lives). */
    static Optional<Path> which(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("") + File.pathSeparator
                + "/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Prints the last {@code lines} lines of a log file to {@code err}. */
    static void tail(Path log, int lines, PrintStream err) {
        try {
            if (!Files.exists(log)) {
                return;
            }
            List<String> all = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).lines().toList();
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(err::println);
        } catch (IOException | UncheckedIOException e) {
            // a log that cannot be read adds nothing
        }
    }

    /** Whether this process runs as root (debootstrap needs it). */
    static boolean isRoot() {
        return output(List.of("id", "-u")).map("0"::equals).orElse(false);
    }
}
