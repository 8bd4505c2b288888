package io.isol8.engine.docker.setup;

/** A setup step failed; the message is printed as it is. */
final class SetupException extends RuntimeException {
    SetupException(String message) {
        super(message);
    }

    SetupException(String message, Throwable cause) {
        super(message, cause);
    }
}
