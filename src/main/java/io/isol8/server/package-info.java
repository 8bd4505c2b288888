/**
 * The Helidon HTTP surface: one service per resource, Bearer authentication through helidon-security,
 * wire parsing into validated specs, the SSE writer, the WebSocket route {@code /execute/ws} (one writer
 * thread per socket), metrics and the single error map. Never imports docker-java.
 */
package io.isol8.server;
