package io.isol8.auth;

/** The key store does not answer (connection refused, timed out, broken). The message names no secret. */
public final class StoreUnavailableException extends RuntimeException {
    private final boolean busy;

    public StoreUnavailableException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /** @param busy every pooled connection was in use until the wait ended; the database itself answers */
    public StoreUnavailableException(String message, Throwable cause, boolean busy) {
        super(message, cause, false, false);
        this.busy = busy;
    }

    /** Whether the store is only busy (no connection free in time), not down. */
    public boolean busy() {
        return busy;
    }
}
