package io.isol8.config;

import io.isol8.config.Isol8Config.Cleanup;
import io.isol8.config.Isol8Config.Pool;
import io.isol8.core.Language;

import java.util.regex.Pattern;

import static io.isol8.config.Quantity.INTEGER;
import static io.isol8.config.Quantity.MILLIS;
import static io.isol8.config.Range.atLeast;
import static io.isol8.config.Range.between;

/** Binds the keys of config.md §4 to an {@link Isol8Config}, recording every problem on the way. */
final class ConfigBinder {
    private static final Isol8Config BUILT_IN = Isol8Config.builtIn();
    private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

    private ConfigBinder() {
    }

    /** The configuration in {@code root}; the caller throws the problems recorded. */
    static Isol8Config bind(Section root, String source) {
        Isol8Config b = BUILT_IN;
        int port = root.whole("port", b.port(), INTEGER, between(1, 65_535)).orElse((long) b.port()).intValue();
        String instanceId = root.scalars().string(root.key("instanceId"), root.take("instanceId"), b.instanceId(),
                        id -> id.isEmpty() || INSTANCE_ID.matcher(id).matches(),
                        "empty or an id matching ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
                .orElse(b.instanceId());
        int maxConcurrent = root.whole("maxConcurrent", b.maxConcurrent(), INTEGER, between(1, 1000))
                .orElse((long) b.maxConcurrent()).intValue();
        int maxQueued = root.whole("maxQueued", b.maxQueued(), INTEGER, between(0, 100_000))
                .orElse((long) b.maxQueued()).intValue();
        long queueTimeoutMs = root.whole("queueTimeoutMs", b.queueTimeoutMs(), MILLIS, between(0, 600_000))
                .orElse(b.queueTimeoutMs());
        Ceilings ceilings = new Ceilings(root.section("limits"));
        Isol8Config config = new Isol8Config(port, instanceId, maxConcurrent, maxQueued, queueTimeoutMs,
                ceilings.defaults(root.section("defaults")), ceilings.limits(), cleanup(root.section("cleanup")),
                pool(root.section("pool")), ImageKeys.read(root.section("images")), docker(root.section("docker")),
                auth(root.section("auth")), source, engine(root.section("engine")), quotas(root.section("quotas")),
                audit(root.section("audit")), EgressKeys.read(root.section("network"), BUILT_IN.network()),
                EgressKeys.remoteCode(root.section("remoteCode"), BUILT_IN.remoteCode()),
                PackageKeys.read(root.section("packages"), BUILT_IN.packages()));
        root.finish();
        return config;
    }

    private static Isol8Config.Auth auth(Section s) {
        Isol8Config.Auth b = BUILT_IN.auth();
        java.util.List<Isol8Config.KeyEntry> keys = AuthKeys.read(s);
        // the value may hold a password: a problem names the key and the reason, never the value
        String database = s.scalars().string(s.key("database"), s.take("database"), b.database(),
                        text -> true, "a string").orElse(b.database());
        if (!database.isEmpty()) {
            StoreUrl.problem(database).ifPresent(p -> s.scalars().problems().badValue(s.key("database"), "<hidden>",
                    "sqlite:PATH, a file path or postgres://user:password@host:port/db; " + p));
        }
        long maxTtlMs = s.whole("maxTtlMs", b.maxTtlMs(), MILLIS, atLeast(60_000)).orElse(b.maxTtlMs());
        long purgeAfterMs = s.whole("purgeAfterMs", b.purgeAfterMs(), MILLIS, atLeast(0)).orElse(b.purgeAfterMs());
        return new Isol8Config.Auth(keys, database, maxTtlMs, purgeAfterMs);
    }

    private static Isol8Config.Quotas quotas(Section s) {
        Isol8Config.Quotas b = BUILT_IN.quotas();
        return new Isol8Config.Quotas(
                s.whole("maxConcurrent", b.maxConcurrent(), INTEGER, between(0, 100_000)).orElse(0L).intValue(),
                s.whole("maxSessions", b.maxSessions(), INTEGER, between(0, 100_000)).orElse(0L).intValue(),
                s.whole("maxTimeoutMs", b.maxTimeoutMs(), MILLIS, atLeast(0)).orElse(0L),
                s.whole("requestsPerMinute", b.requestsPerMinute(), INTEGER, between(0, 10_000_000)).orElse(0L).intValue());
    }

    private static Isol8Config.Audit audit(Section s) {
        Isol8Config.Audit b = BUILT_IN.audit();
        boolean enabled = s.bool("enabled", b.enabled());
        String dir = s.scalars().string(s.key("dir"), s.take("dir"), b.dir(), d -> true, "a folder path").orElse(b.dir());
        int retentionDays = s.whole("retentionDays", b.retentionDays(), INTEGER, between(0, 36_500))
                .orElse((long) b.retentionDays()).intValue();
        boolean includeCode = s.bool("includeCode", b.includeCode());
        boolean includeOutput = s.bool("includeOutput", b.includeOutput());
        String script = s.scalars().string(s.key("postLogScript"), s.take("postLogScript"), b.postLogScript(),
                p -> p.isEmpty() || java.nio.file.Files.isExecutable(java.nio.file.Path.of(p)),
                "empty or the path of an executable file").orElse(b.postLogScript());
        return new Isol8Config.Audit(enabled, dir, retentionDays, includeCode, includeOutput, script);
    }

    private static Cleanup cleanup(Section s) {
        Cleanup b = BUILT_IN.cleanup();
        return new Cleanup(s.bool("autoPrune", b.autoPrune()),
                s.whole("maxContainerAgeMs", b.maxContainerAgeMs(), MILLIS, atLeast(1000))
                        .orElse(b.maxContainerAgeMs()),
                s.whole("intervalMs", b.intervalMs(), MILLIS, atLeast(1000)).orElse(b.intervalMs()));
    }

    private static Pool pool(Section s) {
        Pool b = BUILT_IN.pool();
        return new Pool(s.bool("enabled", b.enabled()), PoolSizes.read(s, b.size().get(Language.PYTHON)),
                PoolSizes.images(s));
    }

    private static Isol8Config.Engine engine(Section s) {
        Isol8Config.Executor b = BUILT_IN.engine().executor();
        Isol8Config.Executor executor = s.scalars().read(s.key("executor"), s.take("executor"), b,
                Isol8Config.Executor::wireName, Isol8Config.Executor::fromWire, "one of agent, exec", e -> true, "")
                .orElse(b);
        return new Isol8Config.Engine(executor);
    }

    private static Isol8Config.Docker docker(Section s) {
        return DockerKeys.read(s, BUILT_IN.docker());
    }
}
