/**
 * The Docker implementation of the engine: hardened labelled containers, execs with the staging archive
 * on stdin, the fixed in-container scripts, the warm pool and the sweeps; the one client factory
 * ({@link io.isol8.engine.docker.EngineEndpoint}: local socket or {@code tcp://} with TLS) and the benchmark's
 * floor probe ({@link io.isol8.engine.docker.FloorProbe}). With its {@code setup} sub-package, the only code
 * that imports docker-java.
 */
package io.isol8.engine.docker;
