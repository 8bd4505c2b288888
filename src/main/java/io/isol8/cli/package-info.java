/**
 * The {@code isol8} command: argument parsing, exit codes, the composition root ({@link io.isol8.cli.Application})
 * and its shutdown order, and the {@code bench} load generator.
 * May use every other package; nothing depends on it.
 */
package io.isol8.cli;
