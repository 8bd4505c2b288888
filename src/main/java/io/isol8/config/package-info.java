/**
 * The server configuration: where the one YAML file comes from, reading it with Helidon config (from that file
 * only), checking every key, and binding it to the immutable {@link io.isol8.config.Isol8Config}. Also size
 * strings ({@link io.isol8.config.Sizes}).
 *
 * <p>Depends on the JDK, Helidon config and {@code io.isol8.core}; read by the command line, the server and the
 * Docker engine.
 */
package io.isol8.config;
