package io.isol8.server;

import io.helidon.common.buffers.DataReader;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.isol8.core.Isol8Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** Reads request bodies within a byte limit (413 beyond it, checked before and while reading). */
final class Bodies {
    /**
     * A declared body over the limit but at most this large is read and dropped before the 413: a client still
     * sending when the server closes gets a broken pipe instead of the answer. Larger ones are refused at once.
     */
    static final long DRAIN_MAX_BYTES = 64L << 20;

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
            if (declared <= DRAIN_MAX_BYTES) {
                drain(req);
            }
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

    private static void drain(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException | RuntimeException e) {
            // the client stopped sending: the 413 goes out on what is left of the connection
        }
    }
}
