/**
 * {@code isol8 bench}: a closed-loop load generator that talks to a running server only through its HTTP API
 * ({@link io.isol8.bench.Load}), its arguments, its report (text table and JSON) and the Docker floor it compares
 * with, measured by {@link io.isol8.engine.docker.FloorProbe} on the configured engine.
 *
 * <p>Depends on the JDK, Jackson, {@code io.isol8.config} and {@code io.isol8.engine.docker} (the floor probe
 * only); never on docker-java or the server's classes.
 */
package io.isol8.bench;
