/**
 * Domain vocabulary: validated execution specs, container settings, runtimes, container paths and the
 * exception family that the server maps to HTTP statuses. JDK only.
 */
package io.isol8.core;
