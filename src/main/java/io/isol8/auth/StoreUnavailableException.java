package io.isol8.auth;

/** The key store does not answer (connection refused, timed out, broken). The message names no secret. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
