package io.isol8.server;

import io.helidon.webserver.http.ServerRequest;
import io.isol8.core.Isol8Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** Reads request bodies within a byte limit (413 beyond it, checked before and while reading). */
final class Bodies {
    private Bodies() {
    }

    static byte[] read(ServerRequest req, long limit, String limitName) {
        String tooLarge = "Request body exceeds " + limitName + " (" + limit + " bytes)";
        if (req.headers().contentLength().orElse(0) > limit) {
            throw new Isol8Exception.TooLarge(tooLarge);
        }
        if (!req.content().hasEntity()) {
            return new byte[0];
        }
        try (InputStream in = req.content().inputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                throw new Isol8Exception.TooLarge(tooLarge);
            }
            return body;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
