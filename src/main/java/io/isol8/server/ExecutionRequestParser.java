package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.config.Isol8Config;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.Language;
import io.isol8.core.Network;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

/**
 * Turns the body of {@code POST /execute} and {@code POST /execute/stream} into an {@link ExecutionSpec}:
 * JSON parsing, field validation, the merge of {@code options} over the configured defaults and the
 * ceiling checks (api.md §5 and §6). Thread-safe; does no I/O.
 */
public final class ExecutionRequestParser {
    private static final Set<String> ENVELOPE = Set.of("request", "options", "sessionId");
    private static final Pattern SESSION_ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$");

    private final Isol8Config config;
    private final IntSupplier hostCpus;
    private final java.util.function.BiPredicate<Language, List<String>> packageImage;
    private final JsonBodyReader reader;

    /**
     * @param config   the server configuration (defaults, limits, images)
     * @param hostCpus CPUs of the Docker host; {@code options.cpuLimit} above it is refused. A value below 1
     *                 means the count is unknown and only {@code limits.cpuLimit} applies.
     */
    public ExecutionRequestParser(Isol8Config config, int hostCpus) {
        this(config, () -> hostCpus);
    }

    /**
     * @param config   the server configuration (defaults, limits, images)
     * @param hostCpus CPUs of the Docker host, asked once per request (the engine caches it); as above
     */
    public ExecutionRequestParser(Isol8Config config, IntSupplier hostCpus) {
        this(config, hostCpus, (runtime, packages) -> false);
    }

    /**
     * @param config       as above
     * @param hostCpus     as above
     * @param packageImage whether a package image holds a runtime's packages (then {@code installPackages} needs no
     *                     network); see {@link io.isol8.engine.Engine#packageImageCovers}
     */
    public ExecutionRequestParser(Isol8Config config, IntSupplier hostCpus,
                                  java.util.function.BiPredicate<Language, List<String>> packageImage) {
        this.config = Objects.requireNonNull(config, "config");
        this.hostCpus = Objects.requireNonNull(hostCpus, "hostCpus");
        this.packageImage = Objects.requireNonNull(packageImage, "packageImage");
        this.reader = new JsonBodyReader(config.limits().maxRequestBytes());
    }

    /**
     * Parses and validates one request body (UTF-8 JSON).
     *
     * @throws BadRequest with the exact message of api.md §5, §5.1 or §6 for the first problem found
     */
    public ParsedExecution parse(byte[] body) {
        JsonNode root = reader.read(body);
        if (!root.isObject()) {
            throw new BadRequest("Request body must be a JSON object");
        }
        return parse((ObjectNode) root);
    }

    /**
     * Validates an envelope that is already parsed (the WebSocket's {@code execute} message without its own
     * fields).
     *
     * @throws BadRequest as {@link #parse(byte[])}
     */
    ParsedExecution parse(ObjectNode root) {
        JsonFields envelope = new JsonFields(root, "");
        envelope.rejectUnknown(ENVELOPE);
        ObjectNode request = envelope.object("request")
                .orElseThrow(() -> new BadRequest("Missing required field: request"));
        Optional<ObjectNode> options = envelope.object("options");
        Optional<String> sessionId = envelope.string("sessionId").filter(id -> !id.isEmpty());
        if (sessionId.isPresent() && !SESSION_ID.matcher(sessionId.get()).matches()) {
            throw new BadRequest("sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : - "
                    + "and start with a letter or digit");
        }

        RequestFields fields = RequestFields.parse(request, config.limits().timeoutMs(), config.remoteCode());
        ExecutionOptions merged = ExecutionOptions.parse(options, fields.runtime(), config, hostCpus.getAsInt());
        if (!fields.installPackages().isEmpty() && merged.container().network() == Network.NONE
                && !(merged.container().image().equals(config.images().of(fields.runtime()))
                && packageImage.test(fields.runtime(), fields.installPackages()))) {
            throw new BadRequest("request.installPackages needs network access, but this execution runs "
                    + "with network \"none\"");
        }
        long timeoutMs = fields.timeoutMs().or(merged::timeoutMs).orElse(config.defaults().timeoutMs());
        ExecutionSpec spec = new ExecutionSpec(fields.runtime(), fields.source(), fields.stdin(), fields.env(),
                merged.secrets(), fields.files(), fields.outputPaths().orElse(List.of()),
                fields.outputPaths().isPresent(), fields.installPackages(), fields.setupScript(), fields.workdir(),
                timeoutMs, merged.maxOutputBytes(), merged.container(), merged.explicitContainerKeys(),
                merged.logNetwork());
        return new ParsedExecution(spec, sessionId, fields.remote());
    }
}
