package io.isol8.engine.agent;

import java.io.IOException;

/** Bytes that are not a valid frame of the agent protocol: the channel that carried them must be dropped. */
public final class ProtocolException extends IOException {
    public ProtocolException(String message) {
        super(message);
    }
}
