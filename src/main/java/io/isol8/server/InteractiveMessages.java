package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.engine.Interaction;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The wire of interactive runs (api.md §14.2) into the engine's {@link Interaction} inputs: the {@code interactive}
 * field of {@code execute}, and the {@code stdin}, {@code signal} and {@code resize} messages. Problems are a
 * {@link BadRequest} with the message the client sees.
 */
final class InteractiveMessages {
    private static final Map<String, Integer> SIGNALS = Map.of("SIGINT", 2, "SIGTERM", 15, "SIGHUP", 1,
            "SIGQUIT", 3, "SIGKILL", 9);

    private InteractiveMessages() {
    }

    /**
     * The {@code interactive} field: absent, null or false → empty; true → pipes; {@code {"pty":{cols,rows}}} → a
     * terminal of that size.
     */
    static Optional<Optional<Interaction.TerminalSize>> mode(JsonNode field) {
        if (field == null || field.isNull() || field.isBoolean() && !field.asBoolean()) {
            return Optional.empty();
        }
        if (field.isBoolean()) {
            return Optional.of(Optional.empty());
        }
        if (!field.isObject()) {
            throw new BadRequest("interactive must be a boolean or an object");
        }
        JsonFields fields = new JsonFields((ObjectNode) field, "interactive.");
        fields.rejectUnknown(Set.of("pty"));
        Optional<ObjectNode> pty = fields.object("pty");
        if (pty.isEmpty()) {
            return Optional.of(Optional.empty());
        }
        new JsonFields(pty.get(), "interactive.pty.").rejectUnknown(Set.of("cols", "rows"));
        return Optional.of(Optional.of(new Interaction.TerminalSize(size(pty.get(), "cols", "interactive.pty."),
                size(pty.get(), "rows", "interactive.pty."))));
    }

    /** The bytes of a {@code stdin} message ({@code data} as UTF-8, or base64 with {@code "encoding":"base64"}). */
    static byte[] stdin(ObjectNode message) {
        JsonNode data = message.get("data");
        if (data == null || data.isNull()) {
            return new byte[0];
        }
        if (!data.isTextual()) {
            throw new BadRequest("stdin.data must be a string");
        }
        JsonNode encoding = message.get("encoding");
        if (encoding != null && "base64".equals(encoding.asText())) {
            try {
                return Base64.getDecoder().decode(data.asText());
            } catch (IllegalArgumentException e) {
                throw new BadRequest("stdin.data is not valid base64");
            }
        }
        return data.asText().getBytes(StandardCharsets.UTF_8);
    }

    /** Whether a {@code stdin} message ends the input ({@code "eof": true}). */
    static boolean eof(ObjectNode message) {
        JsonNode eof = message.get("eof");
        return eof != null && eof.asBoolean();
    }

    /** The signal of a {@code signal} message. */
    static Interaction.Signal signal(ObjectNode message) {
        JsonNode name = message.get("signal");
        Integer signo = name == null ? null : SIGNALS.get(name.asText());
        if (signo == null) {
            throw new BadRequest("Unknown signal: " + (name == null ? "undefined" : name.asText())
                    + ". Use SIGINT, SIGTERM, SIGHUP, SIGQUIT or SIGKILL");
        }
        return new Interaction.Signal(signo);
    }

    /** The size of a {@code resize} message. */
    static Interaction.Resize resize(ObjectNode message) {
        return new Interaction.Resize(size(message, "cols", "resize."), size(message, "rows", "resize."));
    }

    private static int size(ObjectNode node, String name, String prefix) {
        JsonNode v = node.get(name);
        if (v == null || !v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > 1000) {
            throw new BadRequest(prefix + name + " must be an integer from 1 to 1000");
        }
        return v.asInt();
    }
}
