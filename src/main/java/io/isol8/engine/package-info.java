/**
 * The port to the container engine ({@link io.isol8.engine.Engine}, {@link io.isol8.engine.Sandbox}) and what
 * is independent of Docker: admission, sessions, the order of an execution, and the output pipeline
 * (UTF-8 decoding, secret masking, caps). Depends on {@code core}; never on docker-java or Helidon.
 */
package io.isol8.engine;
