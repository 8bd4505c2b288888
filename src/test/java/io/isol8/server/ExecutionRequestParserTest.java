package io.isol8.server;

import io.isol8.config.Isol8Config;
import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception.BadRequest;
import io.isol8.core.Network;
import io.isol8.core.NetworkFilter;
import io.isol8.core.Language;
import io.isol8.core.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExecutionRequestParserTest {
    private static final int HOST_CPUS = 4;
    private static final String PY = "'runtime':'python','code':'print(1)'";
    private static final ExecutionRequestParser BUILT_IN = new ExecutionRequestParser(Isol8Config.builtIn(), HOST_CPUS);

    /** Bodies are written with single quotes for readability; they become double quotes. */
    private static byte[] json(String singleQuoted) {
        return singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    private static String request(String fields) {
        return "{'request':{" + fields + "}}";
    }

    private static String withOptions(String options) {
        return "{'request':{" + PY + "},'options':{" + options + "}}";
    }

    private static String list(String element, int count) {
        return String.join(",", Collections.nCopies(count, "'" + element + "'"));
    }

    private static String refusal(ExecutionRequestParser parser, String body) {
        return assertThrows(BadRequest.class, () -> parser.parse(json(body))).getMessage();
    }

    private static ExecutionSpec spec(ExecutionRequestParser parser, String body) {
        return parser.parse(json(body)).spec();
    }

    /** Every ceiling raised and every policy opened, to reach the paths the built-in config refuses. */
    private static Isol8Config permissive(double cpuLimit) {
        Isol8Config base = Isol8Config.builtIn();
        Isol8Config.Limits l = base.limits();
        Isol8Config.Limits open = new Isol8Config.Limits(l.timeoutMs(), l.memoryLimit(), cpuLimit, l.sandboxSize(),
                l.tmpSize(), l.pidsLimit(), l.maxOutputSize(), Set.of(Network.NONE, Network.BRIDGE), true,
                List.of("custom:py"), l.maxRequestBytes(), l.maxFileBytes(), l.maxSessions(), l.maxSessionQueue());
        return new Isol8Config(base.port(), base.instanceId(), base.maxConcurrent(), base.maxQueued(),
                base.queueTimeoutMs(), base.defaults(), open, base.cleanup(), base.pool(), base.images(),
                base.docker(), base.auth(), base.source());
    }

    static Stream<Arguments> envelopeRefusals() {
        return Stream.of(
                Arguments.of("", "Malformed JSON: No content to map due to end-of-input"),
                Arguments.of("{", "Malformed JSON: Unexpected end-of-input: expected close marker for Object"),
                Arguments.of("{'request':", "Malformed JSON: Unexpected end-of-input within/between Object entries"),
                Arguments.of("{'request' 1}", "Malformed JSON: Unexpected character ('1' (code 49)): was expecting "
                        + "a colon to separate field name and value"),
                Arguments.of("{}{}", "Malformed JSON: Unexpected content after the JSON value"),
                Arguments.of("[]", "Request body must be a JSON object"),
                Arguments.of("null", "Request body must be a JSON object"),
                Arguments.of("'text'", "Request body must be a JSON object"),
                Arguments.of("{'request':{" + PY + "},'foo':1}", "Unknown field \"foo\""),
                Arguments.of("{'requests':{" + PY + "}}", "Unknown field \"requests\""),
                Arguments.of("{}", "Missing required field: request"),
                Arguments.of("{'request':null}", "Missing required field: request"),
                Arguments.of("{'request':[]}", "request must be an object"),
                Arguments.of("{'request':'print(1)'}", "request must be an object"),
                Arguments.of("{'request':{" + PY + "},'options':[]}", "options must be an object"),
                Arguments.of("{'request':{" + PY + "},'sessionId':5}", "sessionId must be a string"),
                Arguments.of("{'request':{" + PY + "},'sessionId':'-s'}", SESSION_ID_RULE),
                Arguments.of("{'request':{" + PY + "},'sessionId':'a b'}", SESSION_ID_RULE),
                Arguments.of("{'request':{" + PY + "},'sessionId':'s/1'}", SESSION_ID_RULE),
                Arguments.of("{'request':{" + PY + "},'sessionId':'" + "a".repeat(129) + "'}", SESSION_ID_RULE));
    }

    private static final String SESSION_ID_RULE =
            "sessionId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit";
    private static final String EXCLUSIVE = "ExecutionRequest.code, ExecutionRequest.codeUrl, and "
            + "ExecutionRequest.cmd are mutually exclusive \u2014 provide exactly one.";
    private static final String NONE_GIVEN = "ExecutionRequest must include exactly one of: code, codeUrl, or cmd.";

    static Stream<Arguments> requestRefusals() {
        return Stream.of(
                Arguments.of(request("'code':'print(1)'"), "request.runtime is required"),
                Arguments.of(request("'runtime':null,'code':'x'"), "request.runtime is required"),
                Arguments.of(request("'runtime':5,'code':'x'"), "request.runtime must be a string"),
                Arguments.of(request("'runtime':'ruby','code':'x'"),
                        "Unknown runtime: \"ruby\". Available: python, node, bun, deno, bash"),
                Arguments.of(request("'runtime':'Python','code':'x'"),
                        "Unknown runtime: \"Python\". Available: python, node, bun, deno, bash"),
                Arguments.of(request("'runtime':'agent','code':'x'"),
                        "Runtime \"agent\" is not supported by this server"),
                Arguments.of(request("'runtime':'python','code':'x','cmd':'ls'"), EXCLUSIVE),
                Arguments.of(request("'runtime':'python','code':'x','codeUrl':'https://e.com/a.py'"), EXCLUSIVE),
                Arguments.of(request("'runtime':'python','code':'x','codeUrl':'u','cmd':'ls'"), EXCLUSIVE),
                Arguments.of(request("'runtime':'python'"), NONE_GIVEN),
                Arguments.of(request("'runtime':'python','code':' \\n\\t '"), NONE_GIVEN),
                Arguments.of(request("'runtime':'python','code':'\\u00a0\\ufeff','cmd':''"), NONE_GIVEN),
                Arguments.of(request("'runtime':'python','codeUrl':'https://e.com/a.py'"),
                        "Remote code fetching is disabled on this server. Send the source in request.code."),
                Arguments.of(request("'runtime':'python','code':5"), "request.code must be a string"),
                Arguments.of(request("'runtime':'python','cmd':true"), "request.cmd must be a string"),
                Arguments.of(request("'runtime':'python','codeUrl':{}"), "request.codeUrl must be a string"),
                Arguments.of(request(PY + ",'codeHash':1"), "request.codeHash must be a string"),
                Arguments.of(request(PY + ",'allowInsecureCodeUrl':'yes'"),
                        "request.allowInsecureCodeUrl must be a boolean"),
                Arguments.of(request(PY + ",'timeoutMs':'1000'"), "request.timeoutMs must be an integer"),
                Arguments.of(request(PY + ",'timeoutMs':1.5"), "request.timeoutMs must be an integer"),
                Arguments.of(request(PY + ",'timeoutMs':1000.0"), "request.timeoutMs must be an integer"),
                Arguments.of(request(PY + ",'timeoutMs':1e3"), "request.timeoutMs must be an integer"),
                Arguments.of(request(PY + ",'timeoutMs':0"), "request.timeoutMs must be at least 1"),
                Arguments.of(request(PY + ",'timeoutMs':-5"), "request.timeoutMs must be at least 1"),
                Arguments.of(request(PY + ",'timeoutMs':300001"),
                        "request.timeoutMs 300001 exceeds limits.timeoutMs (300000)"),
                Arguments.of(request(PY + ",'timeoutMs':99999999999999999999"),
                        "request.timeoutMs 99999999999999999999 exceeds limits.timeoutMs (300000)"),
                Arguments.of(request(PY + ",'stdin':1"), "request.stdin must be a string"),
                Arguments.of(request(PY + ",'env':[]"), "request.env must be an object of strings"),
                Arguments.of(request(PY + ",'env':{'A':1}"), "request.env must be an object of strings"),
                Arguments.of(request(PY + ",'env':{'A':null}"), "request.env must be an object of strings"),
                Arguments.of(request(PY + ",'env':{'1A':'x'}"),
                        "request.env key \"1A\" is not a valid environment variable name"),
                Arguments.of(request(PY + ",'env':{'A-B':'x'}"),
                        "request.env key \"A-B\" is not a valid environment variable name"),
                Arguments.of(request(PY + ",'env':{'':'x'}"),
                        "request.env key \"\" is not a valid environment variable name"),
                Arguments.of(request(PY + ",'env':{'A':'a\\u0000b'}"), "request.env must not contain NUL characters"),
                Arguments.of(request("'runtime':'python','code':'print(1)\\u0000'"),
                        "request.code must not contain NUL characters"),
                Arguments.of(request("'runtime':'python','cmd':'ls\\u0000'"),
                        "request.cmd must not contain NUL characters"),
                Arguments.of(request(PY + ",'setupScript':'echo\\u0000'"),
                        "request.setupScript must not contain NUL characters"),
                Arguments.of(request(PY + ",'setupScript':[]"), "request.setupScript must be a string"),
                Arguments.of(request(PY + ",'files':[]"), "request.files must be an object of strings"),
                Arguments.of(request(PY + ",'files':{'/sandbox/a':1}"), "request.files must be an object of strings"),
                Arguments.of(request(PY + ",'files':{'../etc/passwd':'x'}"),
                        "request.files path \"../etc/passwd\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'/sandbox/../etc':'x'}"),
                        "request.files path \"/sandbox/../etc\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'/tmp':'x'}"),
                        "request.files path \"/tmp\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'/sandbox':'x'}"),
                        "request.files path \"/sandbox\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'/sandboxx/a':'x'}"),
                        "request.files path \"/sandboxx/a\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'':'x'}"),
                        "request.files path \"\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'files':{'a\\u0000b':'x'}"),
                        "request.files path \"a\u0000b\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'outputPaths':'/sandbox/a'"),
                        "request.outputPaths must be an array of strings"),
                Arguments.of(request(PY + ",'outputPaths':[1]"), "request.outputPaths must be an array of strings"),
                Arguments.of(request(PY + ",'outputPaths':['/etc/shadow']"),
                        "request.outputPaths path \"/etc/shadow\" must be inside /sandbox or /tmp"),
                Arguments.of(request(PY + ",'outputPaths':[" + list("/sandbox/a", 101) + "]"),
                        "request.outputPaths allows at most 100 entries"),
                Arguments.of(request(PY + ",'installPackages':'numpy'"),
                        "request.installPackages must be an array of strings"),
                Arguments.of(request(PY + ",'installPackages':[null]"),
                        "request.installPackages must be an array of strings"),
                Arguments.of(request(PY + ",'installPackages':['-e git+x']"),
                        "request.installPackages entry \"-e git+x\" is not a valid package name"),
                Arguments.of(request(PY + ",'installPackages':['a;rm']"),
                        "request.installPackages entry \"a;rm\" is not a valid package name"),
                Arguments.of(request(PY + ",'installPackages':['']"),
                        "request.installPackages entry \"\" is not a valid package name"),
                Arguments.of(request(PY + ",'installPackages':[" + list("numpy", 51) + "]"),
                        "request.installPackages allows at most 50 entries"),
                Arguments.of(request(PY + ",'installPackages':['numpy']"), "request.installPackages needs network "
                        + "access, but this execution runs with network \"none\""),
                Arguments.of(request("'runtime':'bash','code':'ls','installPackages':['jq']"),
                        "request.installPackages is not supported for runtime bash"),
                Arguments.of(request(PY + ",'workdir':'/etc'"), "Working directory must be inside /sandbox"),
                Arguments.of(request(PY + ",'workdir':'../x'"), "Working directory must be inside /sandbox"),
                Arguments.of(request(PY + ",'workdir':'/sandbox/../tmp'"), "Working directory must be inside /sandbox"),
                Arguments.of(request(PY + ",'workdir':'/sandboxx'"), "Working directory must be inside /sandbox"),
                Arguments.of(request(PY + ",'workdir':''"), "Working directory must be inside /sandbox"),
                Arguments.of(request(PY + ",'workdir':5"), "request.workdir must be a string"),
                Arguments.of(request(PY + ",'fileExtension':'py'"),
                        "request.fileExtension must be a dot followed by 1-10 letters or digits"),
                Arguments.of(request(PY + ",'fileExtension':'.abcdefghijk'"),
                        "request.fileExtension must be a dot followed by 1-10 letters or digits"),
                Arguments.of(request(PY + ",'fileExtension':'.p-y'"),
                        "request.fileExtension must be a dot followed by 1-10 letters or digits"),
                Arguments.of(request(PY + ",'fileExtension':'.'"),
                        "request.fileExtension must be a dot followed by 1-10 letters or digits"),
                Arguments.of(request(PY + ",'fileExtension':1"), "request.fileExtension must be a string"),
                Arguments.of(request(PY + ",'metadata':{'a':1}"), "request.metadata must be an object of strings"),
                Arguments.of(request(PY + ",'metadata':'x'"), "request.metadata must be an object of strings"),
                Arguments.of(request(PY + ",'agentFlags':1"), "request.agentFlags must be a string"),
                Arguments.of(request(PY + ",'timeout':1000"), "Unknown field \"request.timeout\""),
                Arguments.of(request(PY + ",'language':'python'"), "Unknown field \"request.language\""));
    }

    static Stream<Arguments> optionRefusals() {
        return Stream.of(
                Arguments.of(withOptions("'timeoutMs':300001"),
                        "options.timeoutMs 300001 exceeds limits.timeoutMs (300000)"),
                Arguments.of(withOptions("'timeoutMs':0"), "options.timeoutMs must be at least 1"),
                Arguments.of(withOptions("'timeoutMs':'5s'"), "options.timeoutMs must be an integer"),
                Arguments.of(withOptions("'memoryLimit':'lots'"),
                        "Invalid memory limit format: \"lots\". Use e.g. \"512m\", \"1g\"."),
                Arguments.of(withOptions("'memoryLimit':'1x'"),
                        "Invalid memory limit format: \"1x\". Use e.g. \"512m\", \"1g\"."),
                Arguments.of(withOptions("'memoryLimit':'8g'"),
                        "options.memoryLimit 8g exceeds limits.memoryLimit (2g)"),
                Arguments.of(withOptions("'memoryLimit':'2049m'"),
                        "options.memoryLimit 2049m exceeds limits.memoryLimit (2g)"),
                Arguments.of(withOptions("'memoryLimit':'5m'"), "options.memoryLimit 5m is below the minimum of 6m"),
                Arguments.of(withOptions("'memoryLimit':536870912"), "options.memoryLimit must be a string"),
                Arguments.of(withOptions("'cpuLimit':4"), "options.cpuLimit 4 exceeds limits.cpuLimit (2)"),
                Arguments.of(withOptions("'cpuLimit':2.50"), "options.cpuLimit 2.50 exceeds limits.cpuLimit (2)"),
                Arguments.of(withOptions("'cpuLimit':0.001"), "options.cpuLimit must be at least 0.01"),
                Arguments.of(withOptions("'cpuLimit':0"), "options.cpuLimit must be at least 0.01"),
                Arguments.of(withOptions("'cpuLimit':'1'"), "options.cpuLimit must be a number"),
                Arguments.of(withOptions("'pidsLimit':7"), "options.pidsLimit must be between 8 and 256"),
                Arguments.of(withOptions("'pidsLimit':257"), "options.pidsLimit must be between 8 and 256"),
                Arguments.of(withOptions("'pidsLimit':-1"), "options.pidsLimit must be between 8 and 256"),
                Arguments.of(withOptions("'pidsLimit':0"), "options.pidsLimit must be between 8 and 256"),
                Arguments.of(withOptions("'pidsLimit':64.0"), "options.pidsLimit must be an integer"),
                Arguments.of(withOptions("'sandboxSize':'4g'"),
                        "options.sandboxSize 4g exceeds limits.sandboxSize (2g)"),
                Arguments.of(withOptions("'sandboxSize':'512k'"),
                        "options.sandboxSize 512k is below the minimum of 1m"),
                Arguments.of(withOptions("'sandboxSize':'big'"),
                        "Invalid size format for options.sandboxSize: \"big\". Use e.g. \"512m\", \"1g\"."),
                Arguments.of(withOptions("'tmpSize':'2g'"), "options.tmpSize 2g exceeds limits.tmpSize (1g)"),
                Arguments.of(withOptions("'tmpSize':'1.5G'"), "options.tmpSize 1.5G exceeds limits.tmpSize (1g)"),
                Arguments.of(withOptions("'tmpSize':true"), "options.tmpSize must be a string"),
                Arguments.of(withOptions("'maxOutputSize':10485761"),
                        "options.maxOutputSize 10485761 exceeds limits.maxOutputSize (10485760)"),
                Arguments.of(withOptions("'maxOutputSize':0"), "options.maxOutputSize must be at least 1"),
                Arguments.of(withOptions("'maxOutputSize':'1m'"), "options.maxOutputSize must be an integer"),
                Arguments.of(withOptions("'network':'bridge'"), "options.network \"bridge\" is not allowed by this "
                        + "server (limits.allowedNetworks: [none])"),
                Arguments.of(withOptions("'network':'host'"), "options.network \"host\" is not allowed by this "
                        + "server (limits.allowedNetworks: [none])"),
                Arguments.of(withOptions("'network':'wifi'"), "options.network \"wifi\" is not allowed by this "
                        + "server (limits.allowedNetworks: [none])"),
                Arguments.of(withOptions("'network':'filtered'"),
                        "options.network \"filtered\" is not allowed by this server (limits.allowedNetworks: [none])"),
                Arguments.of(withOptions("'network':1"), "options.network must be a string"),
                Arguments.of(withOptions("'networkFilter':{'whitelist':['example.com']}"),
                        "options.networkFilter needs options.network \"filtered\" (this execution runs with network "
                                + "\"none\")"),
                Arguments.of(withOptions("'networkFilter':{'blacklist':'x'}"),
                        "options.networkFilter.blacklist must be an array of strings"),
                Arguments.of(withOptions("'networkFilter':[]"), "options.networkFilter must be an object"),
                Arguments.of(withOptions("'readonlyRootFs':false"),
                        "options.readonlyRootFs=false is not allowed by this server"),
                Arguments.of(withOptions("'readonlyRootFs':'false'"), "options.readonlyRootFs must be a boolean"),
                Arguments.of(withOptions("'image':'evil:latest'"),
                        "options.image \"evil:latest\" is not allowed by this server"),
                Arguments.of(withOptions("'image':'isol8:node'"),
                        "options.image \"isol8:node\" is not allowed by this server"),
                Arguments.of(withOptions("'image':7"), "options.image must be a string"),
                Arguments.of(withOptions("'security':{'seccomp':'unconfined'}"), "options.security.seccomp "
                        + "\"unconfined\" is not allowed: containers always use Docker's default seccomp profile"),
                Arguments.of(withOptions("'security':{'seccomp':'custom','customProfilePath':'/p.json'}"),
                        "options.security.seccomp \"custom\" is not allowed: containers always use Docker's "
                                + "default seccomp profile"),
                Arguments.of(withOptions("'security':{'customProfilePath':'/p.json'}"),
                        "options.security.customProfilePath is not allowed: containers always use Docker's "
                                + "default seccomp profile"),
                Arguments.of(withOptions("'security':{'seccomp':1}"), "options.security.seccomp must be a string"),
                Arguments.of(withOptions("'security':{'apparmor':'x'}"), "Unknown field \"options.security.apparmor\""),
                Arguments.of(withOptions("'security':'strict'"), "options.security must be an object"),
                Arguments.of(withOptions("'persist':true"), "options.persist is not supported by this server"),
                Arguments.of(withOptions("'persist':'yes'"), "options.persist must be a boolean"),
                Arguments.of(withOptions("'secrets':{'bad-name':'x'}"),
                        "options.secrets key \"bad-name\" is not a valid environment variable name"),
                Arguments.of(withOptions("'secrets':{'K':1}"), "options.secrets must be an object of strings"),
                Arguments.of(withOptions("'secrets':{'K':'a\\u0000'}"),
                        "options.secrets must not contain NUL characters"),
                Arguments.of(withOptions("'memory':'1g'"), "Unknown field \"options.memory\""));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("envelopeRefusals")
    void envelopeViolationIsRefused(String body, String message) {
        assertEquals(message, refusal(BUILT_IN, body));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("requestRefusals")
    void requestViolationIsRefused(String body, String message) {
        assertEquals(message, refusal(BUILT_IN, body));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("optionRefusals")
    void optionViolationIsRefused(String body, String message) {
        assertEquals(message, refusal(BUILT_IN, body));
    }

    @Test
    void cpuLimitAboveTheHostIsRefusedEvenWithinTheCeiling() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(8.0), 2);
        assertEquals("options.cpuLimit 3 exceeds the Docker host's 2 CPUs",
                refusal(parser, withOptions("'cpuLimit':3")));
    }

    @Test
    void unknownHostCpuCountLeavesOnlyTheCeiling() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(8.0), 0);
        assertEquals(3.0, spec(parser, withOptions("'cpuLimit':3")).container().cpus());
    }

    @Test
    void cpuLimitEqualToTheHostIsAccepted() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(8.0), 2);
        assertEquals(2.0, spec(parser, withOptions("'cpuLimit':2")).container().cpus());
    }

    @Test
    void allowedNetworksAreListedInOrder() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(2.0), HOST_CPUS);
        assertEquals("options.network \"host\" is not allowed by this server (limits.allowedNetworks: [none, bridge])",
                refusal(parser, withOptions("'network':'host'")));
    }

    @Test
    void deepNestingIsMalformedJson() {
        String body = "{'request':{" + PY + ",'metadata':" + "[".repeat(100) + "]".repeat(100) + "}}";
        String message = refusal(BUILT_IN, body);
        assertTrue(message.startsWith("Malformed JSON: Document nesting depth (65) exceeds the maximum allowed (64"),
                message);
    }

    @Test
    void invalidUtf8IsMalformedJson() {
        byte[] body = {'{', '"', (byte) 0xC3, '"', ':', '1', '}'};
        BadRequest e = assertThrows(BadRequest.class, () -> BUILT_IN.parse(body));
        assertEquals("Malformed JSON: Invalid UTF-8 byte sequence", e.getMessage());
    }

    @Test
    void leadingByteOrderMarkIsIgnored() {
        byte[] body = ("\uFEFF" + request(PY).replace('\'', '"')).getBytes(StandardCharsets.UTF_8);
        assertEquals(Language.PYTHON, BUILT_IN.parse(body).spec().runtime());
    }

    @Test
    void minimalRequestGetsTheConfiguredDefaults() {
        ParsedExecution parsed = BUILT_IN.parse(json(request(PY)));
        ExecutionSpec spec = parsed.spec();
        assertEquals(Optional.empty(), parsed.sessionId());
        assertEquals(Language.PYTHON, spec.runtime());
        assertEquals(new Source.Code("print(1)", ".py"), spec.source());
        assertEquals("", spec.stdin());
        assertEquals(Map.of(), spec.env());
        assertEquals(Map.of(), spec.secrets());
        assertEquals(Map.of(), spec.files());
        assertEquals(List.of(), spec.outputPaths());
        assertFalse(spec.outputPathsRequested());
        assertEquals(List.of(), spec.installPackages());
        assertEquals(Optional.empty(), spec.setupScript());
        assertEquals("/sandbox", spec.workdir());
        assertEquals(30_000, spec.timeoutMs());
        assertEquals(1_048_576, spec.maxOutputBytes());
        assertEquals(new ContainerSettings("isol8:python", 512L << 20, 1.0, 64, 512L << 20, 256L << 20,
                Network.NONE, true), spec.container());
        assertEquals(Map.of(), spec.explicitContainerKeys());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "'timeoutMs':1500                               | {}                  | 1500",
            "'timeoutMs':1500                               | {'timeoutMs':20000} | 1500",
            "'timeoutMs':null                               | {'timeoutMs':20000} | 20000",
            "'stdin':''                                     | {'timeoutMs':null}  | 30000",
            "'timeoutMs':300000                             | {}                  | 300000",
    })
    void requestTimeoutWinsOverOptionsOverDefaults(String requestField, String options, long expected) {
        String body = "{'request':{" + PY + "," + requestField + "},'options':" + options + "}";
        assertEquals(expected, spec(BUILT_IN, body).timeoutMs());
    }

    @ParameterizedTest(name = "{1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "node   | console.log(1)                                 | .mjs",
            "node   | const fs = require(name)                       | .cjs",
            "node   | const fs = require (name)                      | .cjs",
            "node   | import fs from name;\\nconst x = require(name) | .mjs",
            "node   | x = 1;\\n  export default x; require(y)        | .mjs",
            "node   | myrequire(x)                                   | .mjs",
            "node   | const important = require(x)                   | .cjs",
            "python | import os                                      | .py",
            "bun    | console.log(1)                                 | .ts",
            "deno   | console.log(1)                                 | .ts",
            "bash   | echo hi                                        | .sh",
    })
    void codeFileExtensionFollowsTheRuntime(String runtime, String code, String extension) {
        Source source = spec(BUILT_IN, request("'runtime':'" + runtime + "','code':'" + code + "'")).source();
        assertEquals(extension, ((Source.Code) source).extension());
    }

    @Test
    void fileExtensionWinsOverTheNodeRule() {
        Source source = spec(BUILT_IN, request("'runtime':'node','code':'require(x)','fileExtension':'.js'")).source();
        assertEquals(new Source.Code("require(x)", ".js"), source);
    }

    @Test
    void cmdRunsAsCommandWhateverTheRuntime() {
        ExecutionSpec spec = spec(BUILT_IN, request("'runtime':'node','cmd':'ls -la','code':'  '"));
        assertEquals(new Source.Command("ls -la"), spec.source());
        assertEquals("isol8:node", spec.container().image());
    }

    @Test
    void filesAreKeyedByNormalisedPathInRequestOrder() {
        ExecutionSpec spec = spec(BUILT_IN, request(PY + ",'files':{'in/data.txt':'a','/tmp/x/../y':'b',"
                + "'/sandbox/./z':'c'}"));
        assertEquals(List.of("/sandbox/in/data.txt", "/tmp/y", "/sandbox/z"), List.copyOf(spec.files().keySet()));
        assertEquals(List.of("a", "b", "c"), List.copyOf(spec.files().values()));
    }

    @Test
    void laterFileEntryForTheSamePathWins() {
        ExecutionSpec spec = spec(BUILT_IN, request(PY + ",'files':{'a.txt':'first','/sandbox/a.txt':'second'}"));
        assertEquals(Map.of("/sandbox/a.txt", "second"), spec.files());
    }

    @Test
    void outputPathsKeepTheirRequestedForm() {
        ExecutionSpec spec = spec(BUILT_IN, request(PY + ",'outputPaths':['out.txt','/sandbox/./o.txt','/tmp/t']"));
        assertEquals(List.of("out.txt", "/sandbox/./o.txt", "/tmp/t"), spec.outputPaths());
        assertTrue(spec.outputPathsRequested());
    }

    @Test
    void emptyOutputPathsStillAskForFiles() {
        ExecutionSpec spec = spec(BUILT_IN, request(PY + ",'outputPaths':[]"));
        assertEquals(List.of(), spec.outputPaths());
        assertTrue(spec.outputPathsRequested());
    }

    @Test
    void hundredOutputPathsAndFiftyPackagesAreAllowed() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(2.0), HOST_CPUS);
        ExecutionSpec spec = spec(parser, "{'request':{" + PY + ",'outputPaths':[" + list("a", 100) + "],"
                + "'installPackages':[" + list("numpy==1.26.4", 50) + "]},'options':{'network':'bridge'}}");
        assertEquals(100, spec.outputPaths().size());
        assertEquals(50, spec.installPackages().size());
    }

    @Test
    void relativeWorkdirIsResolvedAgainstSandbox() {
        assertEquals("/sandbox/sub/dir", spec(BUILT_IN, request(PY + ",'workdir':'sub/./dir/'")).workdir());
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "'sessionId':'s1'                      | s1",
            "'sessionId':'A.b_c:d-9'               | A.b_c:d-9",
            "'sessionId':''                        | ",
            "'sessionId':null                      | ",
    })
    void sessionIdIsOptional(String field, String expected) {
        ParsedExecution parsed = BUILT_IN.parse(json("{'request':{" + PY + "}," + field + "}"));
        assertEquals(Optional.ofNullable(expected), parsed.sessionId());
    }

    @Test
    void longestSessionIdIsAccepted() {
        String id = "a".repeat(128);
        assertEquals(Optional.of(id), BUILT_IN.parse(json("{'request':{" + PY + "},'sessionId':'" + id + "'}"))
                .sessionId());
    }

    @Test
    void nullMeansAbsent() {
        ExecutionSpec spec = spec(BUILT_IN, "{'request':{" + PY + ",'cmd':null,'env':null,'files':null,"
                + "'outputPaths':null,'workdir':null,'fileExtension':null,'stdin':null},'options':null,"
                + "'sessionId':null}");
        assertEquals(new Source.Code("print(1)", ".py"), spec.source());
        assertFalse(spec.outputPathsRequested());
        assertEquals("", spec.stdin());
    }

    @Test
    void explicitContainerOptionsAreMergedAndRemembered() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(2.0), HOST_CPUS);
        ExecutionSpec spec = spec(parser, withOptions("'image':'custom:py','readonlyRootFs':false,'network':'bridge',"
                + "'tmpSize':'512m','sandboxSize':'1g','pidsLimit':128,'cpuLimit':1.50,'memoryLimit':'1G'"));
        assertEquals(new ContainerSettings("custom:py", 1L << 30, 1.5, 128, 1L << 30, 512L << 20, Network.BRIDGE,
                false), spec.container());
        assertEquals(Map.of("memoryLimit", "1G", "cpuLimit", "1.50", "pidsLimit", "128", "sandboxSize", "1g",
                "tmpSize", "512m", "network", "bridge", "readonlyRootFs", "false", "image", "custom:py"),
                spec.explicitContainerKeys());
        assertEquals(List.of("memoryLimit", "cpuLimit", "pidsLimit", "sandboxSize", "tmpSize", "network",
                "readonlyRootFs", "image"), List.copyOf(spec.explicitContainerKeys().keySet()));
    }

    @Test
    void valuesEqualToTheDefaultsAreStillExplicit() {
        ExecutionSpec spec = spec(BUILT_IN, withOptions("'network':'none','readonlyRootFs':true,"
                + "'image':'isol8:python','memoryLimit':'512m'"));
        assertEquals(Map.of("memoryLimit", "512m", "network", "none", "readonlyRootFs", "true",
                "image", "isol8:python"), spec.explicitContainerKeys());
        assertEquals(Isol8Config.builtIn().defaults().memoryLimit(), spec.container().memoryBytes());
    }

    @Test
    void executionLevelOptionsAreNotContainerKeys() {
        ExecutionSpec spec = spec(BUILT_IN, withOptions("'timeoutMs':1000,'maxOutputSize':2048,"
                + "'secrets':{'API_KEY':'s3cr3t'}"));
        assertEquals(Map.of(), spec.explicitContainerKeys());
        assertEquals(1000, spec.timeoutMs());
        assertEquals(2048, spec.maxOutputBytes());
        assertEquals(Map.of("API_KEY", "s3cr3t"), spec.secrets());
    }

    /** The built-in configuration with {@code filtered} allowed. */
    private static ExecutionRequestParser filteredAllowed() {
        Isol8Config base = Isol8Config.builtIn();
        Isol8Config.Limits l = base.limits();
        return new ExecutionRequestParser(base.withLimits(new Isol8Config.Limits(l.timeoutMs(), l.memoryLimit(),
                l.cpuLimit(), l.sandboxSize(), l.tmpSize(), l.pidsLimit(), l.maxOutputSize(),
                Set.of(Network.NONE, Network.FILTERED), false, List.of(), l.maxRequestBytes(), l.maxFileBytes(),
                l.maxSessions(), l.maxSessionQueue(), List.of("\\.example\\.com$"))), HOST_CPUS);
    }

    @Test
    void aFilteredNetworkCarriesItsFilterAndLogFlag() {
        ExecutionSpec spec = spec(filteredAllowed(), withOptions("'network':'filtered','logNetwork':true,"
                + "'networkFilter':{'whitelist':['^api\\\\.example\\\\.com$'],'blacklist':['evil']}"));
        assertEquals(Network.FILTERED, spec.container().network());
        assertEquals(new NetworkFilter(List.of("^api\\.example\\.com$"), List.of("evil")), spec.container().filter());
        assertTrue(spec.logNetwork());
        assertTrue(spec.explicitContainerKeys().containsKey("networkFilter"));
        ExecutionSpec open = spec(filteredAllowed(), withOptions("'network':'filtered'"));
        assertEquals(NetworkFilter.NONE, open.container().filter());
        assertFalse(open.logNetwork());
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("filterRefusals")
    void badNetworkFiltersAreRefused(String filter, String message) {
        assertEquals(message, refusal(filteredAllowed(), withOptions("'network':'filtered','networkFilter':" + filter)));
    }

    static Stream<Arguments> filterRefusals() {
        return Stream.of(
                Arguments.of("{'whitelist':['(']}", "options.networkFilter.whitelist entry \"(\" is not a valid "
                        + "regular expression: Unclosed group"),
                Arguments.of("{'blacklist':['']}", "options.networkFilter.blacklist entries must not be empty"),
                Arguments.of("{'whitelist':['" + "a".repeat(257) + "']}",
                        "options.networkFilter.whitelist entries must be at most 256 characters"),
                Arguments.of("{'whitelist':[" + list("a", 65) + "]}",
                        "options.networkFilter.whitelist allows at most 64 patterns"),
                Arguments.of("{'whitelist':[1]}", "options.networkFilter.whitelist must be an array of strings"),
                Arguments.of("{'allow':[]}", "Unknown field \"options.networkFilter.allow\""),
                Arguments.of("{'whitelist':'x'}", "options.networkFilter.whitelist must be an array of strings"));
    }

    @Test
    void codeUrlIsRecognisedWhenTheOwnerEnablesRemoteCode() {
        ExecutionRequestParser parser = new ExecutionRequestParser(Isol8Config.builtIn().withRemoteCode(
                new Isol8Config.RemoteCode(true, List.of(), false, 1024, 1000, false)), HOST_CPUS);
        ParsedExecution parsed = parser.parse(json("{'request':{'runtime':'python','codeUrl':'https://a.test/x.py',"
                + "'codeHash':'" + "AB".repeat(32) + "','allowInsecureCodeUrl':true,'fileExtension':'.py'}}"));
        assertEquals(Optional.of(new RemoteSource("https://a.test/x.py", Optional.of("ab".repeat(32)), true,
                Optional.of(".py"))), parsed.remote());
        assertEquals("request.codeHash must be a SHA-256 hash (64 hexadecimal digits)",
                refusal(parser, "{'request':{'runtime':'python','codeUrl':'https://a.test/x.py','codeHash':'abc'}}"));
        ExecutionRequestParser strict = new ExecutionRequestParser(Isol8Config.builtIn().withRemoteCode(
                new Isol8Config.RemoteCode(true, List.of(), false, 1024, 1000, true)), HOST_CPUS);
        assertEquals("request.codeHash is required with request.codeUrl on this server (remoteCode.requireHash)",
                refusal(strict, "{'request':{'runtime':'python','codeUrl':'https://a.test/x.py'}}"));
        assertEquals("Remote code fetching is disabled on this server. Send the source in request.code.",
                refusal(BUILT_IN, "{'request':{'runtime':'python','codeUrl':'https://a.test/x.py'}}"));
    }

    @Test
    void logNetworkMustBeABoolean() {
        assertEquals("options.logNetwork must be a boolean", refusal(BUILT_IN, withOptions("'logNetwork':'yes'")));
    }

    @Test
    void harmlessAndIgnoredOptionsAreAccepted() {
        ExecutionSpec spec = spec(BUILT_IN, withOptions("'security':{'seccomp':'strict'},'persist':false,"
                + "'networkFilter':{'whitelist':[],'blacklist':[]},'mode':'ephemeral','audit':{'enabled':true},"
                + "'poolStrategy':'fast','poolSize':3,'debug':true,'logNetwork':true,'remoteCode':{'enabled':true}"));
        assertEquals(Isol8Config.builtIn().defaults().network(), spec.container().network());
    }

    @Test
    void acceptedAndIgnoredRequestFieldsDoNotChangeTheSpec() {
        ExecutionSpec plain = spec(BUILT_IN, request(PY));
        ExecutionSpec decorated = spec(BUILT_IN, request(PY + ",'metadata':{'team':'x'},'agentFlags':'--fast',"
                + "'codeHash':'abc','allowInsecureCodeUrl':true"));
        assertEquals(plain, decorated);
    }

    @Test
    void everyRequestFieldReachesTheSpec() {
        ExecutionRequestParser parser = new ExecutionRequestParser(permissive(2.0), HOST_CPUS);
        ExecutionSpec spec = spec(parser, "{'request':{" + PY + ",'stdin':'abc','env':{'A':'1','_b2':''},"
                + "'installPackages':['numpy','requests>=2'],'setupScript':'pip list','workdir':'/sandbox/w'},"
                + "'options':{'network':'bridge'}}");
        assertEquals("abc", spec.stdin());
        assertEquals(Map.of("A", "1", "_b2", ""), spec.env());
        assertEquals(List.of("numpy", "requests>=2"), spec.installPackages());
        assertEquals(Optional.of("pip list"), spec.setupScript());
        assertEquals("/sandbox/w", spec.workdir());
    }

    @Test
    void emptyPackageListNeedsNoNetwork() {
        assertEquals(List.of(), spec(BUILT_IN, request("'runtime':'bash','code':'ls','installPackages':[]"))
                .installPackages());
    }

    @Test
    void emptySetupScriptIsNoSetup() {
        assertEquals(Optional.empty(), spec(BUILT_IN, request(PY + ",'setupScript':''")).setupScript());
    }
}
