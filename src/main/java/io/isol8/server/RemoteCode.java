package io.isol8.server;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.Source;
import io.isol8.engine.egress.CodeFetcher;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Turns a {@code request.codeUrl} into the execution's code before anything runs: fetched by the engine's
 * {@link CodeFetcher} (address rules of the egress proxy), checked against {@code request.codeHash}, decoded as
 * UTF-8 text without NUL characters. Every refusal is a 400 naming the reason.
 */
final class RemoteCode {
    private final Optional<CodeFetcher> fetcher;

    RemoteCode(Optional<CodeFetcher> fetcher) {
        this.fetcher = fetcher;
    }

    /** {@code spec} with the code at {@code remote}; blocks for the fetch (bounded by remoteCode.fetchTimeoutMs). */
    ExecutionSpec resolve(ExecutionSpec spec, RemoteSource remote) {
        CodeFetcher f = fetcher.orElseThrow(() -> new BadRequest(
                "Remote code fetching is disabled on this server. Send the source in request.code."));
        byte[] code = f.fetch(f.check(remote.url(), remote.allowInsecure()), remote.allowInsecure());
        if (remote.sha256().isPresent()) {
            String actual = sha256(code);
            if (!actual.equals(remote.sha256().get())) {
                throw new BadRequest("request.codeHash does not match the code at request.codeUrl (its SHA-256 is "
                        + actual + ")");
            }
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(code)).toString();
        } catch (CharacterCodingException e) {
            throw new BadRequest("The code at request.codeUrl is not UTF-8 text");
        }
        if (text.indexOf('\0') >= 0) {
            throw new BadRequest("The code at request.codeUrl must not contain NUL characters");
        }
        if (JsBlank.test(text)) {
            throw new BadRequest("The code at request.codeUrl is empty");
        }
        String extension = remote.extension().orElseGet(() -> CodeExtension.of(spec.runtime(), text));
        return spec.withSource(new Source.Code(text, extension));
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
