package io.isol8.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.isol8.core.Isol8Exception.BadRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads a request body as one UTF-8 JSON value. Every failure is a {@link BadRequest}
 * {@code Malformed JSON: <detail>} whose detail is the parser's message without its location.
 */
final class JsonBodyReader {
    static final int MAX_NESTING_DEPTH = 64;
    private static final String START_MARKER = " (start marker at ";

    private final ObjectMapper mapper;

    /** @param maxBodyBytes the largest body the server accepts; no string in it can be longer */
    JsonBodyReader(long maxBodyBytes) {
        int maxString = (int) Math.min(Integer.MAX_VALUE,
                Math.max(maxBodyBytes, StreamReadConstraints.DEFAULT_MAX_STRING_LEN));
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .maxStringLength(maxString)
                        .build())
                .build();
        // Floats as BigDecimal keep the digits the client wrote, for exact comparisons and echoes.
        this.mapper = JsonMapper.builder(factory)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
    }

    /** The JSON value of {@code body}; never {@code null}. */
    JsonNode read(byte[] body) {
        String text = decode(body);
        try (JsonParser parser = mapper.createParser(text)) {
            JsonNode root = mapper.readTree(parser);
            if (root == null) {
                throw malformed("No content to map due to end-of-input");
            }
            if (parser.nextToken() != null) {
                throw malformed("Unexpected content after the JSON value");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw malformed(detail(e));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading from a String does no I/O
        }
    }

    private static String decode(byte[] body) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            throw malformed("Invalid UTF-8 byte sequence");
        }
    }

    private static String detail(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null || message.isBlank()) {
            return "invalid JSON";
        }
        int marker = message.indexOf(START_MARKER);
        return marker < 0 ? message : message.substring(0, marker);
    }

    private static BadRequest malformed(String detail) {
        return new BadRequest("Malformed JSON: " + detail);
    }
}
