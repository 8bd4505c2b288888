/**
 * The Docker implementation of the engine: hardened labelled containers, execs with the staging archive
 * on stdin, the fixed in-container scripts, the warm pool and the sweeps. With its {@code setup}
 * sub-package, the only code that imports docker-java (besides the benchmark's floor measurement).
 */
package io.isol8.engine.docker;
