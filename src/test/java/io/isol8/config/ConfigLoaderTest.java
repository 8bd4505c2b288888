package io.isol8.config;

import io.isol8.config.Isol8Config.KeyEntry;
import io.isol8.core.Network;
import io.isol8.core.Language;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    // ---- defaults and binding

    @Test
    void noFileMeansBuiltInDefaults() {
        Isol8Config config = ConfigLoader.load(Optional.empty());

        assertEquals(Isol8Config.builtIn(), config);
        assertEquals("built-in defaults", config.source());
    }

    @Test
    void shippedExampleFileEqualsBuiltInDefaults() {
        Path example = Path.of("config", "isol8.yaml");

        Isol8Config config = ConfigLoader.load(Optional.of(example));

        assertEquals(Isol8Config.builtIn(), withSource(config, "built-in defaults"));
        assertEquals(example.toAbsolutePath().normalize().toString(), config.source());
    }

    @Test
    void emptyFileMeansAllDefaults() throws IOException {
        assertEquals(Isol8Config.builtIn(), withSource(load(""), "built-in defaults"));
    }

    @Test
    void fileWithOnlyCommentsMeansAllDefaults() throws IOException {
        assertEquals(Isol8Config.builtIn(), withSource(load("# nothing set\n\n# at all\n"), "built-in defaults"));
    }

    @Test
    void emptySectionMeansItsDefaults() throws IOException {
        assertEquals(Isol8Config.builtIn(), withSource(load("defaults:\nauth:\n  keys:\n"), "built-in defaults"));
    }

    @Test
    void sourceIsTheNormalisedPathOfTheFile() throws IOException {
        Path file = write("port: 3000\n");

        Isol8Config config = ConfigLoader.load(Optional.of(dir.resolve("sub").resolve("..").resolve("isol8.yaml")));

        assertEquals(file.toAbsolutePath().normalize().toString(), config.source());
    }

    @Test
    void valuesInTheFileReplaceTheDefaults() throws IOException {
        Isol8Config config = load("""
                port: 8080
                instanceId: ci-runner_1.a
                maxConcurrent: 4
                maxQueued: 0
                queueTimeoutMs: 0
                defaults:
                  network: bridge
                  memoryLimit: 1g
                  cpuLimit: 0.5
                  timeoutMs: 1000
                  sandboxSize: 268435456
                  tmpSize: 64MB
                  pidsLimit: 32
                  maxOutputSize: 4096
                limits:
                  memoryLimit: 1.5g
                  cpuLimit: 4
                  allowedNetworks: [none, bridge]
                  allowWritableRootFs: true
                  allowedImages: [my/python:1, registry.local:5000/x@sha256:abc]
                  maxSessions: 0
                cleanup:
                  autoPrune: false
                  intervalMs: 1000
                pool:
                  enabled: false
                images:
                  python: custom:python
                docker:
                  host: tcp://docker.local:2376
                  allowInsecure: true
                """);

        assertAll(
                () -> assertEquals(8080, config.port()),
                () -> assertEquals("ci-runner_1.a", config.instanceId()),
                () -> assertEquals(4, config.maxConcurrent()),
                () -> assertEquals(0, config.maxQueued()),
                () -> assertEquals(0, config.queueTimeoutMs()),
                () -> assertEquals(new Isol8Config.Defaults(Network.BRIDGE, 1L << 30, 0.5, 1000, 256 * MIB,
                        64 * MIB, 32, 4096), config.defaults()),
                () -> assertEquals(3L << 29, config.limits().memoryLimit()),
                () -> assertEquals(4.0, config.limits().cpuLimit()),
                () -> assertEquals(Set.of(Network.NONE, Network.BRIDGE), config.limits().allowedNetworks()),
                () -> assertTrue(config.limits().allowWritableRootFs()),
                () -> assertEquals(List.of("my/python:1", "registry.local:5000/x@sha256:abc"),
                        config.limits().allowedImages()),
                () -> assertEquals(0, config.limits().maxSessions()),
                () -> assertEquals(new Isol8Config.Cleanup(false, 3_600_000, 1000), config.cleanup()),
                () -> assertEquals(0, config.pool().sizeOf(Language.PYTHON)),
                () -> assertEquals("custom:python", config.images().of(Language.PYTHON)),
                () -> assertEquals("isol8:node", config.images().of(Language.NODE)),
                () -> assertEquals(new Isol8Config.Docker("tcp://docker.local:2376", "", true), config.docker()));
    }

    // ---- error messages

    @Test
    void unknownKeyNamesTheKeyAndFile() throws IOException {
        assertEquals(List.of(invalid("unknown key \"defaults.memory\"")), problems("defaults:\n  memory: 1g\n"));
    }

    @Test
    void keysOfTheOldJsonConfigurationAreUnknown() throws IOException {
        assertEquals(List.of(invalid("unknown key \"poolStrategy\""), invalid("unknown key \"security\""),
                        invalid("unknown key \"defaults.readonlyRootFs\"")),
                problems("""
                        poolStrategy: fast
                        security:
                          seccomp: strict
                        defaults:
                          readonlyRootFs: true
                        """));
    }

    @Test
    void badSizeNamesKeyValueAndExpectation() throws IOException {
        assertEquals(List.of(invalid("defaults.memoryLimit = \"lots\" (expected a size such as 512m or 1g)")),
                problems("defaults:\n  memoryLimit: lots\n"));
    }

    @Test
    void fractionOfAByteIsNotASize() throws IOException {
        assertEquals(List.of(invalid("defaults.tmpSize = \"1.5\" (expected a size such as 512m or 1g)")),
                problems("defaults:\n  tmpSize: 1.5\n"));
    }

    @Test
    void integerMustBeWholeAndInRange() throws IOException {
        String expected = " (expected an integer from 1 to 65535)";
        assertEquals(List.of(invalid("port = \"80.5\"" + expected)), problems("port: 80.5\n"));
        assertEquals(List.of(invalid("port = \"70000\"" + expected)), problems("port: 70000\n"));
        assertEquals(List.of(invalid("port = \"\"" + expected)), problems("port:\n"));
    }

    @Test
    void millisecondsMustBeWhole() throws IOException {
        assertEquals(List.of(invalid("queueTimeoutMs = \"1.5\" "
                        + "(expected a whole number of milliseconds from 0 to 600000)")),
                problems("queueTimeoutMs: 1.5\n"));
    }

    @Test
    void lowerBoundIsNamed() throws IOException {
        assertEquals(List.of(
                        invalid("limits.maxRequestBytes = \"1000\" "
                                + "(expected a whole number of bytes of at least 1024)"),
                        invalid("cleanup.intervalMs = \"999\" "
                                + "(expected a whole number of milliseconds of at least 1000)")),
                problems("limits:\n  maxRequestBytes: 1000\ncleanup:\n  intervalMs: 999\n"));
    }

    @Test
    void booleanMustBeTrueOrFalse() throws IOException {
        assertEquals(List.of(invalid("cleanup.autoPrune = \"maybe\" (expected true or false)")),
                problems("cleanup:\n  autoPrune: maybe\n"));
    }

    @Test
    void yamlBooleanSpellingsAreBooleans() throws IOException {
        assertFalse(load("cleanup:\n  autoPrune: False\n").cleanup().autoPrune());
    }

    @Test
    void networkMustBeKnown() throws IOException {
        assertEquals(List.of(invalid("defaults.network = \"wifi\" (expected one of none, bridge, host, filtered)")),
                problems("defaults:\n  network: wifi\n"));
    }

    @Test
    void instanceIdMustMatchThePattern() throws IOException {
        assertEquals(List.of(invalid("instanceId = \"-bad\" (expected empty or an id matching "
                        + "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$)")),
                problems("instanceId: \"-bad\"\n"));
    }

    @Test
    void numberMustBeANumber() throws IOException {
        assertEquals(List.of(invalid("limits.cpuLimit = \"0\" (expected a number greater than 0)"),
                        invalid("defaults.cpuLimit = \"1d\" (expected a number of at least 0.01)")),
                problems("limits:\n  cpuLimit: 0\ndefaults:\n  cpuLimit: 1d\n"));
    }

    @Test
    void sectionMustBeAMapping() throws IOException {
        assertEquals(List.of(invalid("defaults = \"5\" (expected a mapping of keys)")), problems("defaults: 5\n"));
    }

    @Test
    void imageMustBeAReference() throws IOException {
        assertEquals(List.of(invalid("images.python = \"\" (expected a Docker image reference such as isol8:python)")),
                problems("images:\n  python: \"\"\n"));
    }

    @Test
    void executorDefaultsToTheAgent() throws IOException {
        assertEquals(Isol8Config.Executor.AGENT, load("").engine().executor());
    }

    @Test
    void executorExecIsAccepted() throws IOException {
        assertEquals(Isol8Config.Executor.EXEC, load("engine:\n  executor: exec\n").engine().executor());
    }

    @Test
    void unknownExecutorIsRefusedNamingTheChoices() throws IOException {
        assertEquals(List.of(invalid("engine.executor = \"tini\" (expected one of agent, exec)")),
                problems("engine:\n  executor: tini\n"));
    }

    @Test
    void unknownEngineKeyIsRefused() throws IOException {
        assertEquals(1, problems("engine:\n  executors: exec\n").size());
    }

    @Test
    void dockerHostMustBeUnixOrTcp() throws IOException {
        assertEquals(List.of(invalid("docker.host = \"http://x\" "
                        + "(expected unix:///path/to/docker.sock or tcp://host:port, or empty)")),
                problems("docker:\n  host: http://x\n"));
    }

    @Test
    void tcpHostWithTlsFolderIsAccepted() throws IOException {
        Path certs = tlsFolder("ca.pem", "cert.pem", "key.pem");

        Isol8Config config = load("docker:\n  host: tcp://127.0.0.1:2376\n  tls:\n    certPath: " + certs + "\n");

        assertEquals(new Isol8Config.Docker("tcp://127.0.0.1:2376", certs.toString(), false), config.docker());
    }

    @Test
    void tcpHostWithoutTlsIsRefusedNamingTheKeys() throws IOException {
        assertEquals(List.of(invalid("docker.host = \"tcp://10.0.0.5:2375\" (expected TLS for a tcp:// engine: "
                        + "set docker.tls.certPath, or docker.allowInsecure: true to use it without TLS)")),
                problems("docker:\n  host: tcp://10.0.0.5:2375\n"));
    }

    @Test
    void tcpHostWithoutTlsIsAcceptedWhenInsecureIsAllowed() throws IOException {
        Isol8Config config = load("docker:\n  host: tcp://10.0.0.5:2375\n  allowInsecure: true\n");

        assertEquals(new Isol8Config.Docker("tcp://10.0.0.5:2375", "", true), config.docker());
    }

    @Test
    void tlsFolderWithoutClientCertificateIsRefused() throws IOException {
        Path certs = tlsFolder("ca.pem", "key.pem");

        assertEquals(List.of(invalid("docker.tls.certPath = \"" + certs + "\" (expected empty or the absolute path of "
                        + "a readable folder with ca.pem, cert.pem, key.pem)")),
                problems("docker:\n  host: tcp://127.0.0.1:2376\n  tls:\n    certPath: " + certs + "\n"));
    }

    @Test
    void relativeTlsFolderIsRefused() throws IOException {
        assertEquals(List.of(invalid("docker.tls.certPath = \"certs\" (expected empty or the absolute path of "
                        + "a readable folder with ca.pem, cert.pem, key.pem)")),
                problems("docker:\n  tls:\n    certPath: certs\n"));
    }

    @Test
    void allowInsecureMustBeABoolean() throws IOException {
        assertEquals(List.of(invalid("docker.allowInsecure = \"sometimes\" (expected true or false)")),
                problems("docker:\n  allowInsecure: sometimes\n"));
    }

    @Test
    void unknownTlsKeyIsReported() throws IOException {
        assertEquals(List.of(invalid("unknown key \"docker.tls.ca\"")),
                problems("docker:\n  tls:\n    ca: /etc/ca.pem\n"));
    }

    @Test
    void invalidYamlIsOneProblemWithItsPosition() throws IOException {
        List<String> problems = problems("port: 3000\nlimits: [\n");

        assertEquals(1, problems.size());
        assertTrue(problems.getFirst().startsWith(invalid("not valid YAML: ")), problems.getFirst());
        assertTrue(problems.getFirst().contains("line 3, column 1"), problems.getFirst());
    }

    @Test
    void invalidYamlDoesNotEchoTheFile() throws IOException {
        String problem = problems("auth:\n  keys:\n    - name: ci\n      key: \"s3cret-value\n").getFirst();

        assertFalse(problem.contains("s3cret-value"), problem);
    }

    @Test
    void topLevelMustBeAMapping() throws IOException {
        assertEquals(List.of(invalid("the file must be a mapping of keys (such as \"port: 3000\") at the top level")),
                problems("- port\n- 3000\n"));
    }

    @Test
    void missingFileIsNotFound() {
        Path missing = dir.resolve("missing.yaml");

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(missing)));

        assertEquals("Config file not found: " + missing.toAbsolutePath().normalize(), e.getMessage());
    }

    @Test
    void allProblemsAreReportedTogether() throws IOException {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(write("""
                port: zero
                defaults:
                  memoryLimit: lots
                typo: 1
                """))));

        List<String> expected = List.of(invalid("port = \"zero\" (expected an integer from 1 to 65535)"),
                invalid("defaults.memoryLimit = \"lots\" (expected a size such as 512m or 1g)"),
                invalid("unknown key \"typo\""));
        assertEquals(expected, e.problems());
        assertEquals(String.join("\n", expected), e.getMessage());
    }

    // ---- cross-checks

    @Test
    void defaultAboveItsLimitIsRejected() throws IOException {
        assertEquals(List.of(invalid("defaults.memoryLimit = \"4g\" "
                        + "(expected a size from 6m up to limits.memoryLimit = 2g)")),
                problems("defaults:\n  memoryLimit: 4g\n"));
    }

    @Test
    void builtInDefaultAboveAConfiguredLimitIsRejected() throws IOException {
        assertEquals(List.of(invalid("defaults.memoryLimit = 512m (built-in default; expected a size from 6m up to "
                        + "limits.memoryLimit = 256m)")),
                problems("limits:\n  memoryLimit: 256m\n"));
    }

    @Test
    void cpuDefaultAboveItsLimitIsRejected() throws IOException {
        assertEquals(List.of(invalid("defaults.cpuLimit = \"3\" "
                        + "(expected a number from 0.01 up to limits.cpuLimit = 2.0)")),
                problems("defaults:\n  cpuLimit: 3\n"));
    }

    @Test
    void invalidLimitIsReportedOnceAndBoundsNothing() throws IOException {
        assertEquals(List.of(invalid("limits.memoryLimit = \"1k\" (expected a size of at least 6m)")),
                problems("limits:\n  memoryLimit: 1k\ndefaults:\n  memoryLimit: 4g\n"));
    }

    @Test
    void defaultNetworkMustBeAllowed() throws IOException {
        assertEquals(List.of(invalid("defaults.network = \"bridge\" (expected one of limits.allowedNetworks: none)")),
                problems("defaults:\n  network: bridge\n"));
        assertEquals(List.of(invalid("defaults.network = none (built-in default; expected one of "
                        + "limits.allowedNetworks: bridge, host)")),
                problems("limits:\n  allowedNetworks: [host, bridge]\n"));
    }

    @Test
    void filteredMayBeAllowedButIsNeverTheDefault() throws IOException {
        Isol8Config c = load("limits:\n  allowedNetworks: [none, filtered]\n  allowedHosts: ['\\.example\\.com$']\n");
        assertEquals(Set.of(Network.NONE, Network.FILTERED), c.limits().allowedNetworks());
        assertEquals(List.of("\\.example\\.com$"), c.limits().allowedHosts());
        assertEquals(List.of(invalid("defaults.network = \"filtered\" (expected one of limits.allowedNetworks: none, "
                        + "filtered (filtered is chosen per request, never by default))")),
                problems("defaults:\n  network: filtered\nlimits:\n  allowedNetworks: [none, filtered]\n"));
    }

    @Test
    void remoteCodeKeysBind() throws IOException {
        assertEquals(Isol8Config.RemoteCode.BUILT_IN, load("port: 3000\n").remoteCode());
        assertEquals(new Isol8Config.RemoteCode(true, List.of("^raw\\.example\\.com$"), true, 2L << 20, 3000, true),
                load("remoteCode:\n  enabled: true\n  allowedHosts: ['^raw\\.example\\.com$']\n  allowInsecure: true\n"
                        + "  maxCodeBytes: 2m\n  fetchTimeoutMs: 3000\n  requireHash: true\n").remoteCode());
    }

    @Test
    void packageKeysBindAndAreChecked() throws IOException {
        assertEquals(Isol8Config.Packages.BUILT_IN, load("port: 3000\n").packages());
        assertEquals(Isol8Config.Packages.BUILT_IN, ConfigLoader.load(Optional.of(Path.of("config", "isol8.yaml")))
                .packages());
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Isol8Config.Packages p = load("packages:\n  registries:\n    python: ['^pypi\\.internal$']\n    deno:\n"
                + "  python:\n    indexUrl: http://10.0.0.5:8080/simple\n  npm:\n    registry: https://npm.internal/\n"
                + "  deno:\n    npmRegistry: https://npm.internal/deno/\n  caFile: " + ca + "\n").packages();
        assertEquals(List.of("^pypi\\.internal$"), p.registries().get(Language.PYTHON));
        assertEquals(List.of(), p.registries().get(Language.DENO));
        assertEquals(Isol8Config.Packages.BUILT_IN.registries().get(Language.NODE), p.registries().get(Language.NODE));
        assertEquals(List.of("^pypi\\.internal$", "^\\Q10.0.0.5\\E$"), p.hostPatterns(Language.PYTHON));
        assertEquals(Optional.of("npm.internal"), p.mirrorHost(Language.BUN));
        assertEquals(Map.of("PIP_INDEX_URL", "http://10.0.0.5:8080/simple", "PIP_TRUSTED_HOST", "10.0.0.5", "PIP_CERT", Isol8Config.Packages.CA_PATH,
                "SSL_CERT_FILE", Isol8Config.Packages.CA_PATH, "NODE_EXTRA_CA_CERTS", Isol8Config.Packages.CA_PATH,
                "DENO_CERT", Isol8Config.Packages.CA_PATH, "NPM_CONFIG_CAFILE", Isol8Config.Packages.CA_PATH),
                p.env(Language.PYTHON));
        assertEquals("https://npm.internal/deno/", p.env(Language.DENO).get("NPM_CONFIG_REGISTRY"));
        assertEquals(List.of(invalid("packages.python.indexUrl = \"file:///srv/simple\" (expected an http:// or "
                        + "https:// URL with a host, such as https://pypi.internal/simple)")),
                problems("packages:\n  python:\n    indexUrl: file:///srv/simple\n"));
        assertEquals(List.of(invalid("packages.caFile = \"/nonexistent/ca.pem\" (expected empty or the absolute path "
                        + "of a readable PEM file)")),
                problems("packages:\n  caFile: /nonexistent/ca.pem\n"));
        assertEquals(List.of(invalid("packages.registries.node[0] = \"(\" (expected a regular expression of 1-256 "
                        + "characters)")),
                problems("packages:\n  registries:\n    node: ['(']\n"));
        assertEquals(1, problems("packages:\n  npm:\n    mirror: https://x/\n").size());
    }

    @Test
    void networkKeysBindAndAreChecked() throws IOException {
        assertEquals(Isol8Config.Egress.BUILT_IN, load("port: 3000\n").network());
        Isol8Config c = load("network:\n  allowPrivate: [172.30.0.0/16, 'fd00::/8']\n  maxConnections: 8\n"
                + "  maxBytes: 10m\n  connectTimeoutMs: 2000\n  idleTimeoutMs: 5000\n  headerTimeoutMs: 3000\n"
                + "  maxTotalConnections: 64\n");
        assertEquals(new Isol8Config.Egress(List.of("172.30.0.0/16", "fd00::/8"), 8, 10L << 20, 2000, 5000, 3000, 64),
                c.network());
        assertEquals(List.of(invalid("network.allowPrivate[0] = \"10.0.0.0/33\" (expected an address range such as "
                        + "172.30.0.0/16 or fd00::/8)")),
                problems("network:\n  allowPrivate: [10.0.0.0/33]\n"));
        assertEquals(List.of(invalid("network.maxConnections = \"0\" (expected an integer from 1 to 10000)")),
                problems("network:\n  maxConnections: 0\n"));
        assertEquals(List.of(invalid("limits.allowedHosts[0] = \"(\" (expected a regular expression of 1-256 "
                        + "characters)")),
                problems("limits:\n  allowedHosts: ['(']\n"));
    }

    @Test
    void allowedNetworksMustBeANonEmptyListOfKnownNetworks() throws IOException {
        String expected = " (expected a non-empty list of none, bridge, host, filtered)";
        assertEquals(List.of(invalid("limits.allowedNetworks = []" + expected)),
                problems("limits:\n  allowedNetworks: []\n"));
        assertEquals(List.of(invalid("limits.allowedNetworks = \"none\"" + expected)),
                problems("limits:\n  allowedNetworks: none\n"));
        assertEquals(List.of(invalid("limits.allowedNetworks[1] = \"wifi\" (expected one of none, bridge, host, filtered)")),
                problems("limits:\n  allowedNetworks: [none, wifi]\n"));
    }

    // ---- pool.size

    @Test
    void poolSizeIntegerAppliesToEveryRuntime() throws IOException {
        Isol8Config.Pool pool = load("pool:\n  size: 5\n").pool();

        for (Language runtime : Language.values()) {
            assertEquals(5, pool.sizeOf(runtime), runtime.wireName());
        }
    }

    @Test
    void poolSizeMapLeavesMissingRuntimesAtZero() throws IOException {
        Isol8Config.Pool pool = load("pool:\n  size: {python: 4, bash: 1}\n").pool();

        assertEquals(Map.of(Language.PYTHON, 4, Language.NODE, 0, Language.BUN, 0, Language.DENO, 0, Language.BASH, 1),
                pool.size());
    }

    @Test
    void poolSizeMustBeBetweenZeroAndThirtyTwo() throws IOException {
        assertEquals(List.of(invalid("pool.size = \"33\" (expected an integer from 0 to 32, or a mapping of runtime "
                        + "to integer such as {python: 4, bash: 1})")),
                problems("pool:\n  size: 33\n"));
        assertEquals(List.of(invalid("pool.size.python = \"-1\" (expected an integer from 0 to 32)")),
                problems("pool:\n  size: {python: -1}\n"));
    }

    @Test
    void poolSizeMapNamesOnlyRuntimes() throws IOException {
        assertEquals(List.of(invalid("pool.size names unknown runtime \"ruby\" "
                        + "(expected python, node, bun, deno, bash)")),
                problems("pool:\n  size: {python: 1, ruby: 2}\n"));
    }

    @Test
    void poolImagesListPackageImagesWithTheirSizes() throws IOException {
        Isol8Config.Pool pool = load("pool:\n  images:\n    - {image: 'isol8-pkg:web', size: 3}\n"
                + "    - image: registry.internal/isol8-pkg:1.2\n").pool();
        assertEquals(Map.of("isol8-pkg:web", 3, "registry.internal/isol8-pkg:1.2", 1), pool.imageSizes());
        assertEquals(Map.of(), load("pool:\n  enabled: false\n  images: [{image: x, size: 2}]\n").pool().imageSizes());
        assertEquals(List.of(invalid("pool.images[0].size = \"33\" (expected an integer from 0 to 32)"),
                        invalid("pool.images[1].image is missing (expected a package image reference)"),
                        invalid("unknown key \"pool.images[3].tag\""),
                        invalid("pool.images lists \"a\" twice")),
                problems("pool:\n  images:\n    - {image: a, size: 33}\n    - {size: 1}\n    - {image: a}\n"
                        + "    - {image: a, tag: b}\n"));
    }

    // ---- auth.keys

    @Test
    void authKeysArePlaintextOrHashed() throws IOException {
        String hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

        List<KeyEntry> keys = load("""
                auth:
                  keys:
                    - name: ci
                      sha256: %s
                    - name: notebook
                      key: "a-long-random-string-of-at-least-16-chars"
                """.formatted(hash)).auth().keys();

        assertEquals(List.of(new KeyEntry("ci", Optional.empty(), Optional.of(hash)),
                new KeyEntry("notebook", Optional.of("a-long-random-string-of-at-least-16-chars"), Optional.empty())),
                keys);
    }

    @Test
    void authKeyMayBeAnAdmin() throws IOException {
        List<KeyEntry> keys = load("""
                auth:
                  keys:
                    - name: ops
                      key: "a-long-random-string-of-at-least-16-chars"
                      admin: true
                """).auth().keys();

        assertEquals(List.of(new KeyEntry("ops", Optional.of("a-long-random-string-of-at-least-16-chars"), Optional.empty(),
                true)), keys);
    }

    @Test
    void keyStoreQuotasAndAuditAreRead() throws IOException {
        Isol8Config config = load("""
                auth:
                  database: postgres://isol8:secret@db:5432/isol8
                  maxTtlMs: 86400000
                  purgeAfterMs: 3600000
                quotas:
                  maxConcurrent: 2
                  maxSessions: 3
                  maxTimeoutMs: 60000
                  requestsPerMinute: 600
                audit:
                  enabled: true
                  dir: /var/log/isol8
                  retentionDays: 7
                  includeCode: true
                  includeOutput: true
                """);

        assertEquals("postgres://isol8:secret@db:5432/isol8", config.auth().database());
        assertEquals(86_400_000, config.auth().maxTtlMs());
        assertEquals(3_600_000, config.auth().purgeAfterMs());
        assertEquals(new Isol8Config.Quotas(2, 3, 60_000, 600), config.quotas());
        assertEquals(new Isol8Config.Audit(true, "/var/log/isol8", 7, true, true, ""), config.audit());
    }

    @Test
    void keyStoreSchemeMustBeKnown() throws IOException {
        assertEquals(1, problems("auth:\n  database: mysql://u:p@db/isol8\n").size());
        assertFalse(problems("auth:\n  database: mysql://u:p4ssw0rd@db/isol8\n").get(0).contains("p4ssw0rd"));
        assertEquals(1, problems("auth:\n  database: redis://db\n").size());
        assertEquals(1, problems("auth:\n  database: \"jdbc:sqlite:x.db\"\n").size());
        assertEquals("sqlite:/tmp/a.db", load("auth:\n  database: sqlite:/tmp/a.db\n").auth().database());
        assertEquals("/tmp/auth.db", load("auth:\n  database: /tmp/auth.db\n").auth().database());
    }

    @Test
    void quotaAndAuditValuesAreChecked() throws IOException {
        assertEquals(3, problems("""
                quotas:
                  maxConcurrent: -1
                audit:
                  retentionDays: lots
                  postLogScript: /nonexistent/script
                """).size());
        assertEquals(1, problems("quotas:\n  burst: 3\n").size());
        assertEquals(1, problems("auth:\n  maxTtlMs: 1000\n").size());
    }

    @Test
    void authKeyNeedsExactlyOneOfKeyAndSha256() throws IOException {
        assertEquals(List.of(invalid("auth.keys[0] has both key and sha256 (expected exactly one of them)"),
                        invalid("auth.keys[1] has neither key nor sha256 (expected exactly one of them)")),
                problems("""
                        auth:
                          keys:
                            - name: a
                              key: k1
                              sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
                            - {name: b}
                        """));
    }

    @Test
    void authKeyNamesAreValidAndUnique() throws IOException {
        String pattern = "a name matching ^[A-Za-z0-9._-]{1,64}$";
        assertEquals(List.of(invalid("auth.keys[0].name = \"has space\" (expected " + pattern + ")"),
                        invalid("auth.keys[2].name = \"ci\" "
                                + "(expected a unique name; auth.keys[1].name has it already)"),
                        invalid("auth.keys[3].name is missing (expected " + pattern + ")")),
                problems("""
                        auth:
                          keys:
                            - {name: has space, key: k1}
                            - {name: ci, key: k2}
                            - {name: ci, key: k3}
                            - {key: k4}
                        """));
    }

    @Test
    void badSha256IsRejectedWithoutShowingIt() throws IOException {
        String upper = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";

        List<String> problems = problems("auth:\n  keys:\n    - {name: ci, sha256: " + upper + "}\n");

        assertEquals(List.of(invalid("auth.keys[0].sha256 = <hidden> (expected 64 lowercase hex digits, "
                + "the SHA-256 of the key)")), problems);
    }

    @Test
    void authKeyEntriesRejectUnknownKeysAndNonMappings() throws IOException {
        assertEquals(List.of(invalid("unknown key \"auth.keys[0].secret\""),
                        invalid("auth.keys[1] = \"plain\" (expected a mapping with name and key, or name and sha256)"),
                        invalid("auth.keys[2].key = \"\" (expected a non-empty string)")),
                problems("""
                        auth:
                          keys:
                            - {name: a, key: k1, secret: x}
                            - plain
                            - {name: c, key: ""}
                        """));
    }

    // ---- only the file counts

    @Test
    void systemPropertiesDoNotReachTheConfiguration() throws IOException {
        System.setProperty("port", "4001");
        try {
            assertEquals(3000, load("maxQueued: 5\n").port());
        } finally {
            System.clearProperty("port");
        }
    }

    @Test
    void portEnvironmentVariableDoesNotLeakIntoPortKey() throws Exception {
        Path file = write("maxQueued: 5\n");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), PortProbe.class.getName(), file.toString())
                .redirectErrorStream(true);
        builder.environment().put("PORT", "4000");
        builder.environment().put("port", "4000");

        Process probe = builder.start();
        assertTrue(probe.waitFor(60, TimeUnit.SECONDS), "probe did not finish");
        String output = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertEquals(0, probe.exitValue(), output);
        assertEquals("3000", output.strip());
    }

    /** Prints the port of the file named by its argument; run with {@code PORT} set in its environment. */
    static final class PortProbe {
        public static void main(String[] args) {
            System.out.print(ConfigLoader.load(Optional.of(Path.of(args[0]))).port());
        }
    }

    // ---- lookup order (config.md §1)

    @Test
    void configFlagWinsOverEverythingElse() throws IOException {
        Path flag = touch("flag.yaml");
        touch("env.yaml");
        touch("work/config/isol8.yaml");
        touch("home/.isol8/isol8.yaml");

        assertEquals(Optional.of(flag), locate(Optional.of(flag.toString()), Map.of("ISOL8_CONFIG", "../env.yaml")));
    }

    @Test
    void relativeConfigFlagIsResolvedAgainstTheWorkingDirectory() throws IOException {
        Path file = touch("work/custom.yaml");

        assertEquals(Optional.of(file), locate(Optional.of("custom.yaml"), Map.of()));
    }

    @Test
    void missingConfigFlagFileFailsEvenIfOthersExist() throws IOException {
        touch("work/config/isol8.yaml");

        ConfigException e = assertThrows(ConfigException.class,
                () -> locate(Optional.of("nope.yaml"), Map.of()));

        assertEquals("Config file not found: nope.yaml (from --config)", e.getMessage());
    }

    @Test
    void environmentVariableWinsOverSearchedFiles() throws IOException {
        Path env = touch("env.yaml");
        touch("work/config/isol8.yaml");

        assertEquals(Optional.of(env), locate(Optional.empty(), Map.of("ISOL8_CONFIG", env.toString())));
    }

    @Test
    void missingEnvironmentVariableFileFails() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> locate(Optional.empty(), Map.of("ISOL8_CONFIG", "/no/such/isol8.yaml")));

        assertEquals("Config file not found: /no/such/isol8.yaml (from ISOL8_CONFIG)", e.getMessage());
    }

    @Test
    void emptyEnvironmentVariableCountsAsUnset() throws IOException {
        Path home = touch("home/.isol8/isol8.yaml");

        assertEquals(Optional.of(home), locate(Optional.empty(), Map.of("ISOL8_CONFIG", "")));
    }

    @Test
    void workingDirectoryFileWinsOverHomeFile() throws IOException {
        Path local = touch("work/config/isol8.yaml");
        touch("home/.isol8/isol8.yaml");

        assertEquals(Optional.of(local), locate(Optional.empty(), Map.of()));
    }

    @Test
    void homeFileIsUsedWhenNoOtherIsFound() throws IOException {
        Path home = touch("home/.isol8/isol8.yaml");

        assertEquals(Optional.of(home), locate(Optional.empty(), Map.of()));
    }

    @Test
    void directoryInPlaceOfASearchedFileIsSkipped() throws IOException {
        Files.createDirectories(dir.resolve("work/config/isol8.yaml"));
        Path home = touch("home/.isol8/isol8.yaml");

        assertEquals(Optional.of(home), locate(Optional.empty(), Map.of()));
    }

    @Test
    void noFileFoundMeansBuiltInDefaults() {
        assertEquals(Optional.empty(), locate(Optional.empty(), Map.of("PATH", "/usr/bin")));
    }

    // ---- helpers

    private Optional<Path> locate(Optional<String> flag, Map<String, String> env) {
        return ConfigLoader.locate(flag, env, dir.resolve("work"), dir.resolve("home"));
    }

    private Path touch(String relative) throws IOException {
        Path file = dir.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, "");
        return file.toAbsolutePath().normalize();
    }

    private Path tlsFolder(String... files) throws IOException {
        Path certs = Files.createDirectories(dir.resolve("certs"));
        for (String file : files) {
            Files.writeString(certs.resolve(file), "-----BEGIN CERTIFICATE-----\n");
        }
        return certs.toAbsolutePath().normalize();
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(dir.resolve("isol8.yaml"), yaml);
    }

    // ---- images.prebuilt

    @Test
    void prebuiltPackageImagesAreBoundNormalised() throws IOException {
        Path script = Files.writeString(dir.resolve("setup.sh"), "echo hi\n");
        Isol8Config config = load("""
                images:
                  prebuilt:
                    - runtime: python
                      packages: [Requests==2.32.3, numpy]
                      tag: isol8-pkg:science
                    - runtime: bun
                      packages: [is-number@7.0.0]
                      setup: %s
                      tag: isol8-pkg:numbers
                """.formatted(script));

        List<Isol8Config.Prebuilt> prebuilt = config.images().prebuilt();
        assertEquals(2, prebuilt.size());
        assertEquals(List.of("numpy", "requests==2.32.3"), prebuilt.get(0).packages().entries());
        assertEquals(Language.PYTHON, prebuilt.get(0).packages().runtime());
        assertEquals(Optional.empty(), prebuilt.get(0).setup());
        assertEquals(Optional.of(script.toString()), prebuilt.get(1).setup());
        assertEquals("isol8-pkg:numbers", prebuilt.get(1).tag());
    }

    @Test
    void badPrebuiltEntriesNameKeyAndValue() throws IOException {
        List<String> problems = problems("""
                images:
                  prebuilt:
                    - runtime: cobol
                      packages: [x]
                      tag: a:b
                    - runtime: bun
                      packages: ["is-number; rm -rf /"]
                      tag: isol8-pkg:x
                    - runtime: node
                      packages: [is-number]
                      tag: isol8:node
                    - runtime: deno
                      packages: [npm:is-number]
                      tag: isol8-pkg:d
                      setup: relative.sh
                    - runtime: bun
                      tag: isol8-pkg:e
                      color: blue
                """);

        assertEquals(List.of(
                invalid("images.prebuilt[0].runtime = \"cobol\" (expected one of python, node, bun, deno)"),
                invalid("images.prebuilt[1].packages: \"is-number; rm -rf /\" is not a bun package name (with an "
                        + "optional version)"),
                invalid("images.prebuilt[2].tag = \"isol8:node\" (expected a Docker image reference other than "
                        + "images.base and the runtime images)"),
                invalid("images.prebuilt[3].setup = \"relative.sh\" (expected the absolute path of a readable bash "
                        + "script)"),
                invalid("unknown key \"images.prebuilt[4].color\""),
                invalid("images.prebuilt[4].packages is missing (expected a non-empty list of package names)")),
                problems);
    }

    private Isol8Config load(String yaml) throws IOException {
        return ConfigLoader.load(Optional.of(write(yaml)));
    }

    private List<String> problems(String yaml) throws IOException {
        Path file = write(yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(Optional.of(file))).problems();
    }

    private String invalid(String detail) {
        return "Invalid configuration (" + dir.resolve("isol8.yaml").toAbsolutePath().normalize() + "): " + detail;
    }

    private static Isol8Config withSource(Isol8Config c, String source) {
        return new Isol8Config(c.port(), c.instanceId(), c.maxConcurrent(), c.maxQueued(), c.queueTimeoutMs(),
                c.defaults(), c.limits(), c.cleanup(), c.pool(), c.images(), c.docker(), c.auth(), source, c.engine());
    }
}
