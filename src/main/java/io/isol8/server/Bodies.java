package io.isol8.server;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.isol8.core.Isol8Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Reads request bodies within a byte limit (413 beyond it, checked before and while reading). */
final class Bodies {
    private Bodies() {
    }

    static byte[] read(ServerRequest req, long limit, String limitName) {
        String tooLarge = "Request body exceeds " + limitName + " (" + limit + " bytes)";
        List<String> lengths = req.headers().contains(HeaderNames.CONTENT_LENGTH)
                ? req.headers().get(HeaderNames.CONTENT_LENGTH).allValues() : List.of();
        if (lengths.stream().distinct().count() > 1
                || (!lengths.isEmpty() && req.headers().contains(HeaderNames.TRANSFER_ENCODING))) {
            throw new Isol8Exception.BadRequest("Conflicting Content-Length / Transfer-Encoding headers");
        }
        long declared = req.headers().contentLength().orElse(0);
        if (declared < 0) {
            throw new Isol8Exception.BadRequest("Invalid Content-Length: " + declared);
        }
        if (declared > limit) {
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
        } catch (IOException | UncheckedIOException | DataReader.InsufficientDataAvailableException e) {
            throw new Isol8Exception.BadRequest("Request body ended before its declared length");
        } catch (IllegalArgumentException e) { // NumberFormatException from a bad chunk size line
            throw new Isol8Exception.BadRequest("Malformed chunked request body");
        }
    }
}
