/**
 * The key store: API keys issued at run time and per-tenant quotas, in SQLite or PostgreSQL, in the
 * schema isol8 0.20 wrote (table {@code api_keys}) plus tables and columns only ever added. Depends on
 * {@code io.isol8.core} and {@code io.isol8.config}, JDBC and HikariCP; never on the engine or the server.
 */
package io.isol8.auth;
