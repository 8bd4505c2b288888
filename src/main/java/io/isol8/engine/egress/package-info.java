/**
 * The egress proxy of the {@code filtered} network: host rules, address checks, bounded connections and the
 * network log. Depends on {@code io.isol8.core}, {@code io.isol8.engine} (telemetry) and the JDK only; the
 * Docker side (the internal network, which address a sandbox has) lives in {@code io.isol8.engine.docker}.
 */
package io.isol8.engine.egress;
