package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import io.isol8.cli.Application;
import io.isol8.config.Isol8Config;
import io.isol8.core.KeyDigest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Malformed and hostile requests over a fake engine: every answer is a 4xx JSON {@code {"error":...}}
 * that names the problem, never a 500, an empty body or plain text, and nothing runs. Bodies go to the
 * routing under {@link ServerTest}; broken HTTP framing, oversized heads and slow clients go over raw
 * sockets to the real composition root ({@link Application}), whose web server settings answer them.
 */
@ServerTest
class BadInputTest {
    private static final FakeEngine ENGINE = new FakeEngine();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String AUTH = "Bearer " + TestServers.KEY;
    private static final String SESSION = "bad-input-session";
    private static final String OK_REQUEST = "\"request\":{\"runtime\":\"python\",\"code\":\"out:ok\"}";
    /** What the web server's direct handlers answer for a request Helidon cannot parse. */
    private static final String MALFORMED_400 = "{\"error\":\"Malformed HTTP request: 400 Bad Request\"}";

    private static Application app;

    private final URI uri;
    private int createdBefore;

    BadInputTest(URI uri) {
        this.uri = uri;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        TestServers.routing(routing, ENGINE);
    }

    @BeforeAll
    static void startApplication() {
        app = new Application(Isol8Config.builtIn(), "1.0.0", 0, Map.of("default", KeyDigest.of(TestServers.KEY)), ENGINE,
                new Metrics());
    }

    @AfterAll
    static void stopApplication() {
        if (app != null) {
            app.close();
        }
    }

    /** A live session on both servers, so that file-route refusals are about the input and not a missing session. */
    @BeforeEach
    void sessionExists() throws Exception {
        String body = "{" + OK_REQUEST + ",\"sessionId\":\"" + SESSION + "\"}";
        HttpResponse<String> r = send("POST", "/execute", body);
        assertEquals(200, r.statusCode(), r.body());
        RawResponse direct = raw(post("/execute", body.getBytes(StandardCharsets.UTF_8)), 0);
        assertEquals(200, direct.status(), direct.body());
        createdBefore = ENGINE.created.get();
    }

    // ---------------------------------------------------------------- corpus

    static Stream<Arguments> malformedBodies() {
        return Stream.of(
                bad("not json", "not json", "Malformed JSON: "),
                bad("empty body", "", "Malformed JSON: "),
                bad("unterminated object", "{\"request\":{\"runtime\":\"python\"", "Malformed JSON: "),
                bad("trailing garbage", "{" + OK_REQUEST + "} x", "Malformed JSON: "),
                bad("two documents", "{" + OK_REQUEST + "}{" + OK_REQUEST + "}", "Malformed JSON: "),
                bad("single quotes", "{'request':{}}", "Malformed JSON: "),
                bad("comment", "/* hi */{" + OK_REQUEST + "}", "Malformed JSON: "),
                bad("NaN", "{\"request\":{\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":NaN}}", "Malformed JSON: "),
                bad("raw NUL byte in a string", "{\"request\":{\"runtime\":\"python\",\"code\":\"a\u0000b\"}}", "Malformed JSON: "),
                bad("raw newline in a string", "{\"request\":{\"runtime\":\"python\",\"code\":\"a\nb\"}}", "Malformed JSON: "),
                bad("bad escape", "{\"request\":{\"runtime\":\"python\",\"code\":\"\\q\"}}", "Malformed JSON: "),
                bad("10 000 brackets", "[".repeat(10_000), "Malformed JSON: "),
                bad("10 000 nested objects", "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000), "Malformed JSON: "),
                bad("deep nesting inside a valid field", "{\"request\":{\"runtime\":\"python\",\"code\":\"x\",\"metadata\":"
                        + "[".repeat(5000) + "]".repeat(5000) + "}}", "Malformed JSON: "),
                bad("array", "[]", "Request body must be a JSON object"),
                bad("string", "\"request\"", "Request body must be a JSON object"),
                bad("number", "42", "Request body must be a JSON object"),
                bad("null", "null", "Request body must be a JSON object"));
    }

    static Stream<Arguments> wrongTypes() {
        return Stream.of(
                bad("request string", "{\"request\":\"print(1)\"}", "request must be an object"),
                bad("request array", "{\"request\":[]}", "request must be an object"),
                bad("request null", "{\"request\":null}", "Missing required field: request"),
                bad("request missing", "{}", "Missing required field: request"),
                bad("options array", "{" + OK_REQUEST + ",\"options\":[]}", "options must be an object"),
                bad("sessionId number", "{" + OK_REQUEST + ",\"sessionId\":5}", "sessionId must be a string"),
                bad("sessionId object", "{" + OK_REQUEST + ",\"sessionId\":{}}", "sessionId must be a string"),
                req("runtime", "\"runtime\":7,\"code\":\"x\"", "request.runtime must be a string"),
                req("code", "\"runtime\":\"python\",\"code\":7", "request.code must be a string"),
                req("code array", "\"runtime\":\"python\",\"code\":[\"x\"]", "request.code must be a string"),
                req("cmd", "\"runtime\":\"python\",\"cmd\":true", "request.cmd must be a string"),
                req("codeUrl", "\"runtime\":\"python\",\"code\":\"x\",\"codeUrl\":{}", "request.codeUrl must be a string"),
                req("codeHash", "\"runtime\":\"python\",\"code\":\"x\",\"codeHash\":1", "request.codeHash must be a string"),
                req("allowInsecureCodeUrl", "\"runtime\":\"python\",\"code\":\"x\",\"allowInsecureCodeUrl\":\"true\"",
                        "request.allowInsecureCodeUrl must be a boolean"),
                req("timeoutMs string", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":\"1000\"", "request.timeoutMs must be an integer"),
                req("timeoutMs fraction", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":1.5", "request.timeoutMs must be an integer"),
                req("timeoutMs boolean", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":true", "request.timeoutMs must be an integer"),
                req("stdin", "\"runtime\":\"python\",\"code\":\"x\",\"stdin\":1", "request.stdin must be a string"),
                req("env array", "\"runtime\":\"python\",\"code\":\"x\",\"env\":[\"A=1\"]", "request.env must be an object of strings"),
                req("env number value", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"A\":1}", "request.env must be an object of strings"),
                req("env null value", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"A\":null}", "request.env must be an object of strings"),
                req("files array", "\"runtime\":\"python\",\"code\":\"x\",\"files\":[\"a\"]", "request.files must be an object of strings"),
                req("files object value", "\"runtime\":\"python\",\"code\":\"x\",\"files\":{\"a\":{}}", "request.files must be an object of strings"),
                req("outputPaths string", "\"runtime\":\"python\",\"code\":\"x\",\"outputPaths\":\"/sandbox/a\"",
                        "request.outputPaths must be an array of strings"),
                req("outputPaths number entry", "\"runtime\":\"python\",\"code\":\"x\",\"outputPaths\":[1]",
                        "request.outputPaths must be an array of strings"),
                req("installPackages object", "\"runtime\":\"python\",\"code\":\"x\",\"installPackages\":{}",
                        "request.installPackages must be an array of strings"),
                req("setupScript", "\"runtime\":\"python\",\"code\":\"x\",\"setupScript\":[]", "request.setupScript must be a string"),
                req("workdir", "\"runtime\":\"python\",\"code\":\"x\",\"workdir\":1", "request.workdir must be a string"),
                req("fileExtension", "\"runtime\":\"python\",\"code\":\"x\",\"fileExtension\":false", "request.fileExtension must be a string"),
                req("metadata", "\"runtime\":\"python\",\"code\":\"x\",\"metadata\":\"m\"", "request.metadata must be an object of strings"),
                req("agentFlags", "\"runtime\":\"python\",\"code\":\"x\",\"agentFlags\":1", "request.agentFlags must be a string"),
                opt("timeoutMs", "\"timeoutMs\":\"5\"", "options.timeoutMs must be an integer"),
                opt("memoryLimit number", "\"memoryLimit\":536870912", "options.memoryLimit must be a string"),
                opt("cpuLimit string", "\"cpuLimit\":\"1\"", "options.cpuLimit must be a number"),
                opt("pidsLimit fraction", "\"pidsLimit\":8.5", "options.pidsLimit must be an integer"),
                opt("sandboxSize", "\"sandboxSize\":[]", "options.sandboxSize must be a string"),
                opt("tmpSize", "\"tmpSize\":{}", "options.tmpSize must be a string"),
                opt("maxOutputSize", "\"maxOutputSize\":\"1m\"", "options.maxOutputSize must be an integer"),
                opt("network", "\"network\":0", "options.network must be a string"),
                opt("networkFilter", "\"networkFilter\":\"x\"", "options.networkFilter must be an object"),
                opt("readonlyRootFs", "\"readonlyRootFs\":\"false\"", "options.readonlyRootFs must be a boolean"),
                opt("image", "\"image\":1", "options.image must be a string"),
                opt("security", "\"security\":\"strict\"", "options.security must be an object"),
                opt("persist", "\"persist\":\"yes\"", "options.persist must be a boolean"),
                opt("secrets", "\"secrets\":[\"A\"]", "options.secrets must be an object of strings"));
    }

    static Stream<Arguments> unknownsAndRanges() {
        return Stream.of(
                req("runtime missing", "\"code\":\"x\"", "request.runtime is required"),
                req("runtime null", "\"runtime\":null,\"code\":\"x\"", "request.runtime is required"),
                req("unknown runtime", "\"runtime\":\"cobol\",\"code\":\"x\"",
                        "Unknown runtime: \"cobol\". Available: python, node, bun, deno, bash"),
                req("empty runtime", "\"runtime\":\"\",\"code\":\"x\"", "Unknown runtime: \"\". Available: python, node, bun, deno, bash"),
                req("upper-case runtime", "\"runtime\":\"PYTHON\",\"code\":\"x\"",
                        "Unknown runtime: \"PYTHON\". Available: python, node, bun, deno, bash"),
                req("agent runtime", "\"runtime\":\"agent\",\"code\":\"x\"", "Runtime \"agent\" is not supported by this server"),
                req("code null", "\"runtime\":\"python\",\"code\":null",
                        "ExecutionRequest must include exactly one of: code, codeUrl, or cmd."),
                req("code blank", "\"runtime\":\"python\",\"code\":\" \\n\\t \"",
                        "ExecutionRequest must include exactly one of: code, codeUrl, or cmd."),
                req("code and cmd", "\"runtime\":\"python\",\"code\":\"x\",\"cmd\":\"y\"",
                        "ExecutionRequest.code, ExecutionRequest.codeUrl, and ExecutionRequest.cmd are mutually exclusive"
                                + " \u2014 provide exactly one."),
                req("codeUrl", "\"runtime\":\"python\",\"codeUrl\":\"http://169.254.169.254/latest\"",
                        "Remote code fetching is disabled on this server. Send the source in request.code."),
                bad("unknown top-level field", "{" + OK_REQUEST + ",\"__proto__\":{}}", "Unknown field \"__proto__\""),
                req("unknown request field", "\"runtime\":\"python\",\"code\":\"x\",\"image\":\"alpine\"", "Unknown field \"request.image\""),
                opt("unknown option", "\"privileged\":true", "Unknown field \"options.privileged\""),
                opt("unknown security key", "\"security\":{\"apparmor\":\"unconfined\"}", "Unknown field \"options.security.apparmor\""),
                bad("sessionId traversal", "{" + OK_REQUEST + ",\"sessionId\":\"../../etc\"}",
                        "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit"),
                bad("sessionId too long", "{" + OK_REQUEST + ",\"sessionId\":\"" + "a".repeat(129) + "\"}",
                        "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit"),
                req("timeoutMs -1", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":-1", "request.timeoutMs must be at least 1"),
                req("timeoutMs 0", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":0", "request.timeoutMs must be at least 1"),
                req("timeoutMs 1e30", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":1e30", "request.timeoutMs must be an integer"),
                req("timeoutMs 31 digits", "\"runtime\":\"python\",\"code\":\"x\",\"timeoutMs\":1" + "0".repeat(30),
                        "request.timeoutMs 1" + "0".repeat(30) + " exceeds limits.timeoutMs (300000)"),
                opt("options.timeoutMs -1", "\"timeoutMs\":-1", "options.timeoutMs must be at least 1"),
                opt("options.timeoutMs huge", "\"timeoutMs\":9223372036854775808",
                        "options.timeoutMs 9223372036854775808 exceeds limits.timeoutMs (300000)"),
                opt("memoryLimit 99999999t", "\"memoryLimit\":\"99999999t\"", "options.memoryLimit 99999999t exceeds limits.memoryLimit (2g)"),
                opt("memoryLimit garbage", "\"memoryLimit\":\"lots\"", "Invalid memory limit format: \"lots\". Use e.g. \"512m\", \"1g\"."),
                opt("memoryLimit negative", "\"memoryLimit\":\"-1m\"", "Invalid memory limit format: \"-1m\". Use e.g. \"512m\", \"1g\"."),
                opt("memoryLimit over ceiling", "\"memoryLimit\":\"8g\"", "options.memoryLimit 8g exceeds limits.memoryLimit (2g)"),
                opt("memoryLimit below floor", "\"memoryLimit\":\"1m\"", "options.memoryLimit"),
                opt("cpuLimit negative", "\"cpuLimit\":-1", "options.cpuLimit"),
                opt("cpuLimit 1e30", "\"cpuLimit\":1e30", "options.cpuLimit"),
                opt("pidsLimit -1", "\"pidsLimit\":-1", "options.pidsLimit must be between 8 and"),
                opt("pidsLimit 0", "\"pidsLimit\":0", "options.pidsLimit must be between 8 and"),
                opt("pidsLimit huge", "\"pidsLimit\":99999999999999999999999", "options.pidsLimit must be between 8 and"),
                opt("sandboxSize huge", "\"sandboxSize\":\"1t\"", "options.sandboxSize 1t exceeds limits.sandboxSize"),
                opt("tmpSize 0", "\"tmpSize\":\"0\"", "options.tmpSize"),
                opt("maxOutputSize 0", "\"maxOutputSize\":0", "options.maxOutputSize must be at least 1"),
                opt("maxOutputSize huge", "\"maxOutputSize\":1e30", "options.maxOutputSize must be an integer"),
                opt("network host", "\"network\":\"host\"",
                        "options.network \"host\" is not allowed by this server (limits.allowedNetworks: [none])"),
                opt("network filtered", "\"network\":\"filtered\"", "options.network \"filtered\" is not allowed by this server (limits.allowedNetworks: [none])"),
                opt("writable rootfs", "\"readonlyRootFs\":false", "options.readonlyRootFs=false is not allowed by this server"),
                opt("foreign image", "\"image\":\"docker:dind\"", "options.image \"docker:dind\" is not allowed by this server"),
                opt("seccomp unconfined", "\"security\":{\"seccomp\":\"unconfined\"}",
                        "options.security.seccomp \"unconfined\" is not allowed: containers always use Docker's default seccomp profile"),
                opt("persist", "\"persist\":true", "options.persist is not supported by this server"),
                opt("network filter", "\"networkFilter\":{\"whitelist\":[\"example.com\"]}", "options.networkFilter needs options.network \"filtered\""),
                opt("network filter pattern", "\"networkFilter\":{\"whitelist\":[\"(\"]}", "options.networkFilter.whitelist entry \"(\" is not a valid regular expression"),
                opt("network filter key", "\"networkFilter\":{\"allow\":[]}", "Unknown field \"options.networkFilter.allow\""),
                opt("logNetwork type", "\"logNetwork\":1", "options.logNetwork must be a boolean"),
                req("too many outputPaths", "\"runtime\":\"python\",\"code\":\"x\",\"outputPaths\":["
                        + String.join(",", java.util.Collections.nCopies(101, "\"a\"")) + "]", "request.outputPaths allows at most 100 entries"),
                req("package with shell", "\"runtime\":\"python\",\"code\":\"x\",\"installPackages\":[\"x; rm -rf /\"]",
                        "request.installPackages entry \"x; rm -rf /\" is not a valid package name"),
                req("python package from a URL", "\"runtime\":\"python\",\"code\":\"x\",\"installPackages\":[\"git+https://x/y\"]",
                        "request.installPackages entry \"git+https://x/y\" is not a valid python package name"),
                req("npm package from github", "\"runtime\":\"node\",\"code\":\"x\",\"installPackages\":[\"lodash\",\"github:u/r\"]",
                        "request.installPackages entry \"github:u/r\" is not a valid node package name"),
                req("deno URL import", "\"runtime\":\"deno\",\"code\":\"x\",\"installPackages\":[\"https://deno.land/x/y.ts\"]",
                        "request.installPackages entry \"https://deno.land/x/y.ts\" is not a valid deno package name"),
                req("package option injection", "\"runtime\":\"python\",\"code\":\"x\",\"installPackages\":[\"--index-url=http://evil\"]",
                        "request.installPackages entry \"--index-url=http://evil\" is not a valid package name"),
                req("env name with =", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"A=B\":\"1\"}",
                        "request.env key \"A=B\" is not a valid environment variable name"),
                req("env name empty", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"\":\"1\"}",
                        "request.env key \"\" is not a valid environment variable name"),
                req("fileExtension traversal", "\"runtime\":\"python\",\"code\":\"x\",\"fileExtension\":\"./../../etc/x\"",
                        "request.fileExtension must be a dot followed by 1-10 letters or digits"));
    }

    static Stream<Arguments> traversal() {
        Stream.Builder<Arguments> s = Stream.builder();
        String[] paths = {"../../etc/passwd", "/sandbox/../etc", "/sandbox/../../etc/passwd", "/tmp/../etc/shadow", "/etc/passwd",
                "/sandbox", "/sandbox/", "/tmp", "/", "..", "/sandboxx/a", "/proc/self/environ", "/sandbox/a/../../..",
                "/var/run/docker.sock", "a\u0000b", "/sandbox/a\nb", "/sandbox/" + "x".repeat(256), "/sandbox/" + "a/".repeat(2100)};
        for (String p : paths) {
            String json = quote(p);
            s.add(req("files " + shorten(p), "\"runtime\":\"python\",\"code\":\"x\",\"files\":{" + json + ":\"x\"}",
                    "request.files path \"" + p + "\" must be inside /sandbox or /tmp"));
            s.add(req("outputPaths " + shorten(p), "\"runtime\":\"python\",\"code\":\"x\",\"outputPaths\":[\"/sandbox/ok\"," + json + "]",
                    "request.outputPaths path \"" + p + "\" must be inside /sandbox or /tmp"));
        }
        for (String w : new String[]{"/sandbox/../etc", "../..", "/etc", "/tmp", "/tmp/x", "/", "/sandboxx", "a\u0000b"}) {
            s.add(req("workdir " + shorten(w), "\"runtime\":\"python\",\"code\":\"x\",\"workdir\":" + quote(w),
                    "Working directory must be inside /sandbox"));
        }
        return s.build();
    }

    static Stream<Arguments> nulCharacters() {
        return Stream.of(
                req("code", "\"runtime\":\"python\",\"code\":\"print(1)\\u0000\"", "request.code must not contain NUL characters"),
                req("cmd", "\"runtime\":\"python\",\"cmd\":\"echo\\u0000 rm\"", "request.cmd must not contain NUL characters"),
                req("setupScript", "\"runtime\":\"python\",\"code\":\"x\",\"setupScript\":\"\\u0000\"",
                        "request.setupScript must not contain NUL characters"),
                req("env value", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"A\":\"1\\u0000LD_PRELOAD=/x\"}",
                        "request.env must not contain NUL characters"),
                req("env name", "\"runtime\":\"python\",\"code\":\"x\",\"env\":{\"A\\u0000\":\"1\"}",
                        "request.env key \"A\u0000\" is not a valid environment variable name"),
                opt("secret value", "\"secrets\":{\"T\":\"a\\u0000b\"}", "options.secrets must not contain NUL characters"),
                req("runtime", "\"runtime\":\"python\\u0000\",\"code\":\"x\"",
                        "Unknown runtime: \"python\u0000\". Available: python, node, bun, deno, bash"),
                bad("sessionId", "{" + OK_REQUEST + ",\"sessionId\":\"s\\u0000\"}",
                        "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource({"malformedBodies", "wrongTypes", "unknownsAndRanges", "traversal", "nulCharacters"})
    void badExecuteBodyIsRefusedWithItsReason(String label, String body, String message) throws Exception {
        for (String route : new String[]{"/execute", "/execute/stream"}) {
            HttpResponse<String> r = send("POST", route, body);
            assertRefused(r, 400, message);
        }
    }

    /** Every bad entry of each ecosystem, alone and after a good one: 400 naming the entry, nothing runs. */
    static Stream<Arguments> badPackageNames() {
        Stream.Builder<Arguments> cases = Stream.builder();
        Map<String, List<String>> corpus = Map.of("python", io.isol8.core.PackageCorpus.PYTHON_BAD,
                "node", io.isol8.core.PackageCorpus.NPM_BAD, "bun", io.isol8.core.PackageCorpus.NPM_BAD,
                "deno", io.isol8.core.PackageCorpus.DENO_BAD);
        Map<String, String> good = Map.of("python", "requests", "node", "lodash", "bun", "zod", "deno", "npm:chalk");
        corpus.forEach((runtime, entries) -> entries.forEach(entry -> cases.add(Arguments.of(runtime + " " + entry,
                "{\"request\":{\"runtime\":\"" + runtime + "\",\"code\":\"x\",\"installPackages\":[\""
                        + good.get(runtime) + "\"," + quote(entry) + "]},\"options\":{\"network\":\"bridge\"}}",
                "request.installPackages entry \"" + entry + "\" is not a valid "))));
        return cases.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badPackageNames")
    void badPackageNamesAreRefusedNamingTheEntry(String label, String body, String message) throws Exception {
        for (String route : new String[]{"/execute", "/execute/stream"}) {
            assertRefused(send("POST", route, body), 400, message);
        }
    }

    // ---------------------------------------------------------------- bytes a string cannot carry

    static Stream<Arguments> invalidUtf8() {
        return Stream.of(
                Arguments.of("lone continuation byte", new byte[]{(byte) 0x80}),
                Arguments.of("truncated two-byte sequence", new byte[]{(byte) 0xC3}),
                Arguments.of("overlong slash", new byte[]{(byte) 0xC0, (byte) 0xAF}),
                Arguments.of("encoded surrogate", new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}),
                Arguments.of("0xFF", new byte[]{(byte) 0xFF}),
                Arguments.of("beyond U+10FFFF", new byte[]{(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void invalidUtf8InsideTheCodeIsRefused(String label, byte[] bad) throws Exception {
        byte[] body = concat("{\"request\":{\"runtime\":\"python\",\"code\":\"print('".getBytes(StandardCharsets.UTF_8), bad,
                "')\"}}".getBytes(StandardCharsets.UTF_8));
        assertRefused(sendBytes("POST", "/execute", body), 400, "Malformed JSON: ");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    void invalidUtf8InAnUploadIsRefused(String label, byte[] bad) throws Exception {
        byte[] body = concat(("{\"sessionId\":\"" + SESSION + "\",\"path\":\"/sandbox/a").getBytes(StandardCharsets.UTF_8), bad,
                "b\",\"content\":\"eA==\"}".getBytes(StandardCharsets.UTF_8));
        assertRefused(sendBytes("POST", "/file", body), 400, "Malformed JSON: ");
    }

    // ---------------------------------------------------------------- file routes

    static Stream<Arguments> badUploads() {
        Stream.Builder<Arguments> s = Stream.builder();
        String ok = "\"sessionId\":\"" + SESSION + "\",";
        for (String p : new String[]{"../../etc/passwd", "/sandbox/../etc", "/sandbox/../etc/passwd", "/etc/passwd", "/sandbox",
                "/tmp/", "/", "a\u0000b", "/sandbox/" + "x".repeat(256)}) {
            s.add(bad("path " + shorten(p), "{" + ok + "\"path\":" + quote(p) + ",\"content\":\"eA==\"}",
                    "path must be inside /sandbox or /tmp"));
        }
        for (String c : new String[]{"@@@@", "eA=x", "e A==", "eA===", "a", "eA==eA==", "\u00e9A==", "eA%3D%3D", "-_-_"}) {
            s.add(bad("content " + c, "{" + ok + "\"path\":\"/sandbox/a\",\"content\":" + quote(c) + "}",
                    "content is not valid base64"));
        }
        String missing = "Missing sessionId, path or content";
        s.add(bad("no sessionId", "{\"path\":\"/sandbox/a\",\"content\":\"eA==\"}", missing));
        s.add(bad("no path", "{" + ok + "\"content\":\"eA==\"}", missing));
        s.add(bad("no content", "{" + ok + "\"path\":\"/sandbox/a\"}", missing));
        s.add(bad("content number", "{" + ok + "\"path\":\"/sandbox/a\",\"content\":1}", missing));
        s.add(bad("content null", "{" + ok + "\"path\":\"/sandbox/a\",\"content\":null}", missing));
        s.add(bad("path array", "{" + ok + "\"path\":[\"/sandbox/a\"],\"content\":\"eA==\"}", missing));
        s.add(bad("sessionId number", "{\"sessionId\":1,\"path\":\"/sandbox/a\",\"content\":\"eA==\"}", missing));
        s.add(bad("array body", "[]", missing));
        s.add(bad("null body", "null", missing));
        s.add(bad("not json", "sessionId=s&path=/etc/passwd", "Malformed JSON: "));
        s.add(bad("empty body", "", missing));
        s.add(bad("trailing garbage", "{" + ok + "\"path\":\"/sandbox/a\",\"content\":\"eA==\"} trailing", "Malformed JSON: "));
        s.add(bad("10 000 brackets", "[".repeat(10_000), "Malformed JSON: "));
        return s.build();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badUploads")
    void badUploadIsRefusedWithItsReason(String label, String body, String message) throws Exception {
        assertRefused(send("POST", "/file", body), 400, message);
    }

    static Stream<Arguments> badDownloads() {
        String bad = "path must be inside /sandbox or /tmp";
        String missing = "Missing sessionId or path";
        String s = "sessionId=" + SESSION + "&";
        return Stream.of(
                Arguments.of(s + "path=../../etc/passwd", bad),
                Arguments.of(s + "path=/sandbox/../etc", bad),
                Arguments.of(s + "path=/sandbox/../../etc/shadow", bad),
                Arguments.of(s + "path=%2e%2e/%2e%2e/etc/passwd", bad),
                Arguments.of(s + "path=%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", bad),
                Arguments.of(s + "path=/sandbox/%2e%2e/%2e%2e/proc/1/environ", bad),
                Arguments.of(s + "path=/sandbox/..%2f..%2fetc", bad),
                Arguments.of(s + "path=/etc/passwd", bad),
                Arguments.of(s + "path=/sandbox", bad),
                Arguments.of(s + "path=/tmp/", bad),
                Arguments.of(s + "path=%2fsandbox%00%2f..%2f..%2fetc", bad),
                Arguments.of(s + "path=/sandbox/a%0ab", bad),
                Arguments.of(s + "path=/sandbox/" + "x".repeat(256), bad),
                Arguments.of("sessionId=" + SESSION, missing),
                Arguments.of("path=/sandbox/a", missing),
                Arguments.of(s + "path=", missing),
                Arguments.of("sessionId=&path=/sandbox/a", missing),
                Arguments.of("", missing));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("badDownloads")
    void badDownloadIsRefusedWithItsReason(String query, String message) throws Exception {
        assertRefused(send("GET", "/file?" + query, null), 400, message);
    }

    @Test
    void doubleEncodedDotsAreDecodedOnceAndStayALiteralName() throws Exception {
        HttpResponse<String> r = send("GET", "/file?sessionId=" + SESSION + "&path=%252e%252e/%252e%252e/etc/passwd", null);
        assertRefused(r, 404, "File not found: /sandbox/%2e%2e/%2e%2e/etc/passwd");
    }

    @Test
    void traversalIntoAnotherSessionIdIsNotFound() throws Exception {
        assertRefused(send("GET", "/file?sessionId=..%2F" + SESSION + "&path=/sandbox/a", null), 404, "Session not found");
    }

    // ---------------------------------------------------------------- sizes

    @Test
    void tenMegabytesOfCodeRuns() throws Exception {
        String code = "out:big\n" + "#".repeat(10 << 20);
        HttpResponse<String> r = send("POST", "/execute", "{\"request\":{\"runtime\":\"python\",\"code\":" + quote(code) + "}}");
        assertEquals(200, r.statusCode(), shorten(r.body()));
        assertEquals("big", JSON.readTree(r.body()).get("stdout").asText());
        assertEquals(createdBefore + 1, ENGINE.created.get());
    }

    @Test
    void twentyMegabyteBodyGets413() throws Exception {
        String body = "{\"request\":{\"runtime\":\"python\",\"code\":\"" + "x".repeat(20 << 20) + "\"}}";
        assertRefused(send("POST", "/execute", body), 413, "Request body exceeds limits.maxRequestBytes (16777216 bytes)");
    }

    @Test
    void twentyMegabyteChunkedBodyGets413() throws Exception {
        byte[] body = ("{\"request\":{\"runtime\":\"python\",\"code\":\"" + "x".repeat(20 << 20) + "\"}}").getBytes(StandardCharsets.UTF_8);
        HttpRequest request = HttpRequest.newBuilder(uri.resolve("/execute"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)))
                .header("Authorization", AUTH).timeout(Duration.ofSeconds(60)).build();
        assertRefused(HTTP.send(request, HttpResponse.BodyHandlers.ofString()), 413,
                "Request body exceeds limits.maxRequestBytes (16777216 bytes)");
    }

    @Test
    void hugeStringInsideAnUnknownFieldIsRefusedByName() throws Exception {
        String body = "{" + OK_REQUEST + ",\"junk\":\"" + "y".repeat(12 << 20) + "\"}";
        assertRefused(send("POST", "/execute", body), 400, "Unknown field \"junk\"");
    }

    @Test
    void millionsOfEnvEntriesAreRefusedByName() throws Exception {
        StringBuilder env = new StringBuilder();
        for (int i = 0; i < 500_000; i++) {
            env.append(i == 0 ? "" : ",").append("\"V").append(i).append("\":\"\"");
        }
        env.append(",\"1BAD\":\"x\"");
        HttpResponse<String> r = send("POST", "/execute",
                "{\"request\":{\"runtime\":\"python\",\"code\":\"x\",\"env\":{" + env + "}}}");
        assertRefused(r, 400, "request.env key \"1BAD\" is not a valid environment variable name");
    }

    // ---------------------------------------------------------------- raw protocol (production web server)

    @Test
    void oversizedAuthorizationHeaderGetsJson4xx() throws Exception {
        String head = "POST /execute HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + "k".repeat(64 * 1024)
                + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        assertRawRefused(raw(head.getBytes(StandardCharsets.US_ASCII), 0), 400, MALFORMED_400);
    }

    @Test
    void oversizedRequestLineGetsJson4xx() throws Exception {
        String head = "GET /file?sessionId=" + SESSION + "&path=/sandbox/" + "a".repeat(64 * 1024) + " HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: " + AUTH + "\r\nConnection: close\r\n\r\n";
        assertRawRefused(raw(head.getBytes(StandardCharsets.US_ASCII), 0), 414,
                "{\"error\":\"Malformed HTTP request: 414 Request-URI Too Long\"}");
    }

    /** api.md §5.2 accepts paths of up to 4096 bytes, so a download of one must reach the file route. */
    @Test
    void longestValidPathReachesTheFileRoute() throws Exception {
        StringBuilder path = new StringBuilder("/sandbox");
        while (path.length() < 4096 - 201) {
            path.append('/').append("d".repeat(200));
        }
        int rest = 4096 - path.length() - 1;
        path.append('/').append("f".repeat(rest));
        assertEquals(4096, path.length());
        String head = "GET /file?sessionId=" + SESSION + "&path=" + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH
                + "\r\nConnection: close\r\n\r\n";
        RawResponse r = raw(head.getBytes(StandardCharsets.US_ASCII), 0);
        assertEquals(404, r.status(), r.head());
        assertEquals("{\"error\":\"File not found: " + path + "\"}", r.body());
    }

    static Stream<Arguments> brokenFraming() {
        String start = "POST /execute HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH + "\r\nConnection: close\r\n";
        String body = "{" + OK_REQUEST + "}";
        int n = body.length();
        String conflicting = "{\"error\":\"Conflicting Content-Length / Transfer-Encoding headers\"}";
        return Stream.of(
                Arguments.of("non-numeric Content-Length", start + "Content-Length: abc\r\n\r\n" + body, MALFORMED_400),
                Arguments.of("negative Content-Length", start + "Content-Length: -5\r\n\r\n" + body,
                        "{\"error\":\"Invalid Content-Length: -5\"}"),
                Arguments.of("short then full Content-Length", start + "Content-Length: 5\r\nContent-Length: " + n + "\r\n\r\n" + body,
                        conflicting),
                Arguments.of("full then short Content-Length", start + "Content-Length: " + n + "\r\nContent-Length: 5\r\n\r\n" + body,
                        conflicting),
                Arguments.of("Content-Length and chunked", start + "Content-Length: " + n + "\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + body, conflicting),
                Arguments.of("bad chunk size", start + "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + body + "\r\n0\r\n\r\n",
                        "{\"error\":\"Malformed chunked request body\"}"),
                Arguments.of("body shorter than Content-Length", start + "Content-Length: " + (n + 50) + "\r\n\r\n" + body,
                        "{\"error\":\"Request body ended before its declared length\"}"),
                Arguments.of("header without colon", start + "Bogus header line\r\nContent-Length: " + n + "\r\n\r\n" + body,
                        MALFORMED_400),
                Arguments.of("NUL in a header value", start + "X-Evil: a\u0000b\r\nContent-Length: " + n + "\r\n\r\n" + body,
                        MALFORMED_400),
                Arguments.of("no Host header", "POST /execute HTTP/1.1\r\nAuthorization: " + AUTH + "\r\nConnection: close\r\n"
                        + "Content-Length: " + n + "\r\n\r\n" + body, MALFORMED_400),
                Arguments.of("garbage request line", "GARBAGE\r\n\r\n", MALFORMED_400),
                Arguments.of("HTTP/1.0 request line", "GET /health HTTP/1.0\r\n\r\n", MALFORMED_400),
                Arguments.of("binary first bytes", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\n", MALFORMED_400));
    }

    /**
     * Framing errors end in a 400 JSON answer that says what is wrong (api.md §1: every non-2xx answer is
     * {@code {"error":...}}), never a 500 or a connection closed without an answer, and nothing runs.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFraming")
    void brokenFramingIsRefused(String label, String request, String error) throws Exception {
        assertRawRefused(raw(request.getBytes(StandardCharsets.ISO_8859_1), 0), 400, error);
    }

    @Test
    void uploadAnnouncingMoreThanTheUploadLimitIsRefusedBeforeReading() throws Exception {
        String head = "POST /file HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH + "\r\nContent-Length: " + (96 << 20)
                + "\r\nConnection: close\r\n\r\n{\"sessionId\":\"" + SESSION + "\",\"path\":\"/sandbox/a\",\"content\":\"AAAA";
        RawResponse r = raw(head.getBytes(StandardCharsets.US_ASCII), 0);
        assertEquals(413, r.status(), r.body());
        assertEquals("{\"error\":\"Request body exceeds the upload limit (89544024 bytes)\"}", r.body());
        assertEquals(createdBefore, ENGINE.created.get());
    }

    @Test
    void slowClientSendingByteByByteIsAnsweredCorrectly() throws Exception {
        byte[] body = "{\"request\":{\"runtime\":\"python\",\"code\":\"out:slow\\nexit:4\"}}".getBytes(StandardCharsets.UTF_8);
        long start = System.nanoTime();
        RawResponse r = raw(post("/execute", body), 50);
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(elapsedMs >= 2000, "the body took only " + elapsedMs + " ms to send");
        assertEquals(200, r.status(), r.body());
        JsonNode result = JSON.readTree(r.body());
        assertEquals("slow", result.get("stdout").asText());
        assertEquals(4, result.get("exitCode").asInt());
        assertEquals(createdBefore + 1, ENGINE.created.get());
    }

    @Test
    void slowClientSendingABadBodyIsRefused() throws Exception {
        byte[] body = "{\"request\":{\"runtime\":\"cobol\",\"code\":\"x\"}}".getBytes(StandardCharsets.UTF_8);
        RawResponse r = raw(post("/execute", body), 25);
        assertEquals(400, r.status(), r.body());
        assertEquals("{\"error\":\"Unknown runtime: \\\"cobol\\\". Available: python, node, bun, deno, bash\"}", r.body());
        assertEquals(createdBefore, ENGINE.created.get());
    }

    // ---------------------------------------------------------------- helpers

    private static Arguments bad(String label, String body, String message) {
        return Arguments.of(label, body, message);
    }

    private static Arguments req(String label, String requestFields, String message) {
        return Arguments.of(label, "{\"request\":{" + requestFields + "}}", message);
    }

    private static Arguments opt(String label, String optionFields, String message) {
        return Arguments.of(label, "{" + OK_REQUEST + ",\"options\":{" + optionFields + "}}", message);
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "…(" + s.length() + " chars)" : s;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return sendBytes(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> sendBytes(String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri.resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Authorization", AUTH);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A 4xx JSON object with exactly one field, {@code error}, whose text contains {@code message}; nothing ran. */
    private void assertRefused(HttpResponse<String> r, int status, String message) throws Exception {
        assertEquals(status, r.statusCode(), shorten(r.body()));
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), shorten(r.body()));
        JsonNode body = JSON.readTree(r.body());
        assertTrue(body.isObject() && body.size() == 1 && body.path("error").isTextual(), shorten(r.body()));
        assertTrue(body.get("error").asText().contains(message),
                "expected the error to contain «" + shorten(message) + "» but was «" + shorten(body.get("error").asText()) + "»");
        assertEquals(createdBefore, ENGINE.created.get(), "a sandbox was created for a bad request");
    }

    /** Exactly {@code status} with the JSON body {@code body} (api.md §1: no other error shape); nothing ran. */
    private void assertRawRefused(RawResponse r, int status, String body) {
        assertEquals(status, r.status(), r.status() == 0 ? "closed without an answer: «" + shorten(r.head()) + "»"
                : shorten(r.head()) + "\n" + shorten(r.body()));
        assertEquals("application/json", r.header("content-type"), shorten(r.head()));
        assertEquals(body, r.body());
        assertEquals(createdBefore, ENGINE.created.get(), "a sandbox was created for a bad request");
    }

    /** A complete POST with {@code Connection: close}. */
    private static byte[] post(String path, byte[] body) {
        String head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: " + AUTH + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        return concat(head.getBytes(StandardCharsets.US_ASCII), body);
    }

    record RawResponse(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    /**
     * Sends {@code request} on a fresh connection, pausing {@code pauseMs} after each byte of the body
     * part (everything after the blank line) when positive, and reads until the server closes or the
     * announced body has arrived. Status 0: the server closed without an answer.
     */
    private static RawResponse raw(byte[] request, long pauseMs) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", app.port())) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            try {
                if (pauseMs <= 0) {
                    out.write(request);
                } else {
                    int bodyStart = indexOf(request, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 4;
                    out.write(request, 0, bodyStart);
                    out.flush();
                    for (int i = bodyStart; i < request.length; i++) {
                        out.write(request[i]);
                        out.flush();
                        Thread.sleep(pauseMs); // the pacing is the behaviour under test
                    }
                }
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may answer and close before it has read everything
            }
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream seen = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    seen.write(buf, 0, n);
                    if (complete(seen.toByteArray())) {
                        break;
                    }
                }
            } catch (IOException e) {
                // connection reset after the answer
            }
            byte[] all = seen.toByteArray();
            int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            if (end < 0) {
                return new RawResponse(0, new String(all, StandardCharsets.ISO_8859_1), "");
            }
            String head = new String(all, 0, end, StandardCharsets.ISO_8859_1);
            String[] statusLine = head.split("\r\n", 2)[0].split(" ");
            byte[] body = Arrays.copyOfRange(all, end + 4, all.length);
            RawResponse r = new RawResponse(Integer.parseInt(statusLine[1]), head, "");
            if ("chunked".equalsIgnoreCase(r.header("transfer-encoding"))) {
                body = dechunk(body);
            } else if (r.header("content-length") != null) {
                // one answer, framed as HTTP says; bytes after it are not part of it
                body = Arrays.copyOf(body, Math.min(body.length, Integer.parseInt(r.header("content-length"))));
            }
            return new RawResponse(r.status(), head, new String(body, StandardCharsets.UTF_8));
        }
    }

    private static boolean complete(byte[] seen) {
        int end = indexOf(seen, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (end < 0) {
            return false;
        }
        String head = new String(seen, 0, end, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\r\ncontent-length:\\s*(\\d+)").matcher(head);
        return m.find() && seen.length - end - 4 >= Integer.parseInt(m.group(1));
    }

    private static byte[] dechunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < body.length) {
            int lineEnd = indexOf(Arrays.copyOfRange(body, i, body.length), "\r\n".getBytes(StandardCharsets.US_ASCII));
            if (lineEnd < 0) {
                break;
            }
            int size = Integer.parseInt(new String(body, i, lineEnd, StandardCharsets.US_ASCII).trim(), 16);
            if (size == 0) {
                break;
            }
            out.write(body, i + lineEnd + 2, size);
            i += lineEnd + 2 + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
