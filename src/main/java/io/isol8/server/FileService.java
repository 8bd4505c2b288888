package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.config.Isol8Config;
import io.isol8.config.Sizes;
import io.isol8.core.ContainerPath;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.Executions;

import java.util.Base64;
import java.util.regex.Pattern;

/** {@code POST /file} and {@code GET /file} inside a caller's session (api.md §10). */
final class FileService implements HttpService {
    private static final Pattern BASE64 = Pattern.compile("^[A-Za-z0-9+/]*={0,2}$");
    private static final String BAD_PATH = "path must be inside /sandbox or /tmp";

    private final Executions executions;
    private final long maxFileBytes;
    private final long bodyLimit;
    private final String sandboxSize;
    private final JsonBodyReader reader;

    FileService(Executions executions, Isol8Config config) {
        this.executions = executions;
        this.maxFileBytes = config.limits().maxFileBytes();
        this.bodyLimit = Math.max(config.limits().maxRequestBytes(), 4 * ((maxFileBytes + 2) / 3) + 65536);
        this.sandboxSize = Sizes.format(config.defaults().sandboxSize());
        this.reader = new JsonBodyReader(bodyLimit);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/file", this::upload).get("/file", this::download);
    }

    private void upload(ServerRequest req, ServerResponse res) {
        byte[] raw = Bodies.read(req, bodyLimit, "the upload limit");
        JsonNode body = raw.length == 0 ? null : reader.read(raw);
        if (body == null || !body.isObject() || !body.path("sessionId").isTextual() || !body.path("path").isTextual()
                || !body.path("content").isTextual()) {
            throw new Isol8Exception.BadRequest("Missing sessionId, path or content");
        }
        String path = ContainerPath.resolve(body.get("path").asText())
                .orElseThrow(() -> new Isol8Exception.BadRequest(BAD_PATH));
        String b64 = body.get("content").asText().replace("\r", "").replace("\n", "");
        if (!BASE64.matcher(b64).matches()) {
            throw new Isol8Exception.BadRequest("content is not valid base64");
        }
        byte[] content;
        try {
            content = Base64.getDecoder().decode(pad(b64));
        } catch (IllegalArgumentException e) {
            throw new Isol8Exception.BadRequest("content is not valid base64");
        }
        if (content.length > maxFileBytes) {
            throw new Isol8Exception.TooLarge("File exceeds limits.maxFileBytes (" + maxFileBytes + " bytes)");
        }
        String principal = SessionService.principal(req);
        String sessionId = body.get("sessionId").asText();
        String sizeHint = executions.sessions().find(principal, sessionId)
                .map(s -> Sizes.format(path.startsWith(ContainerPath.TMP + "/") ? s.settings().tmpBytes() : s.settings().sandboxBytes()))
                .orElse(sandboxSize);
        executions.withSession(principal, sessionId, sandbox -> {
            sandbox.writeFile(path, content, sizeHint);
            return null;
        });
        Json.send(res, Status.OK_200, Json.object().put("ok", true));
    }

    private void download(ServerRequest req, ServerResponse res) {
        String sessionId = req.query().first("sessionId").orElse("");
        String rawPath = req.query().first("path").orElse("");
        if (sessionId.isEmpty() || rawPath.isEmpty()) {
            throw new Isol8Exception.BadRequest("Missing sessionId or path");
        }
        String path = ContainerPath.resolve(rawPath).orElseThrow(() -> new Isol8Exception.BadRequest(BAD_PATH));
        byte[] bytes = executions.withSession(SessionService.principal(req), sessionId,
                sandbox -> sandbox.readFile(path, maxFileBytes));
        Json.send(res, Status.OK_200, Json.object().put("content", Base64.getEncoder().encodeToString(bytes)));
    }

    private static String pad(String b64) {
        String unpadded = b64.replaceAll("=+$", "");
        if (unpadded.length() % 4 == 1) {
            throw new IllegalArgumentException("bad length");
        }
        return unpadded + "==".substring(0, (4 - unpadded.length() % 4) % 4);
    }
}
