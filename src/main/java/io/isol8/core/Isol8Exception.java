package io.isol8.core;

/**
 * Our own failures that reach a client. The HTTP status is chosen by one switch in the server; the
 * message is safe to show to the client.
 */
public sealed abstract class Isol8Exception extends RuntimeException {
    Isol8Exception(String message) {
        super(message, null, false, false);
    }

    Isol8Exception(String message, Throwable cause) {
        super(message, cause, false, true);
    }

    /** 400: the request is invalid. */
    public static final class BadRequest extends Isol8Exception {
        public BadRequest(String message) { super(message); }
    }

    /** 403: the caller is authenticated but may not do this (key management and clean-up need an admin key). */
    public static final class Forbidden extends Isol8Exception {
        public Forbidden(String message) { super(message); }
    }

    /** 404: an unknown route, session or file. */
    public static final class NotFound extends Isol8Exception {
        public NotFound(String message) { super(message); }
    }

    /** 409: the session cannot take this request. */
    public static final class Conflict extends Isol8Exception {
        public Conflict(String message) { super(message); }
    }

    /** 413: a body or file is too large. */
    public static final class TooLarge extends Isol8Exception {
        public TooLarge(String message) { super(message); }
    }

    /** 429: no capacity now; the client should retry. */
    public static final class Busy extends Isol8Exception {
        public Busy(String message) { super(message); }
    }

    /**
     * 503: the container of a running execution stopped or its agent stopped answering (sandbox.md §15.6);
     * a stream ends with {@code error} + {@code exit "137"}.
     */
    public static final class SandboxLost extends Isol8Exception {
        public SandboxLost(String detail) { super("sandbox lost: " + detail); }
    }

    /** 503: Docker, an image or the server itself is unavailable. The message names the fix. */
    public static final class Unavailable extends Isol8Exception {
        public Unavailable(String message) { super(message); }
        public Unavailable(String message, Throwable cause) { super(message, cause); }

        /** The Docker engine does not answer; {@code detail} (may be null) says why. */
        public static Unavailable engineUnreachable(String endpoint, String detail, Throwable cause) {
            return new Unavailable("Docker engine is not reachable at " + endpoint
                    + (detail == null ? "" : " (" + detail + ")") + ". Start the Docker daemon or set docker.host.", cause);
        }

        /** A runtime's image is not on the engine. */
        public static Unavailable imageMissing(String image, Language runtime) {
            return new Unavailable("Image \"" + image + "\" for runtime " + runtime.wireName()
                    + " is missing. Run `isol8 setup` (or `isol8 setup --offline` on a machine without a registry).");
        }
    }
}
