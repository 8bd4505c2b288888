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
                new Isol8Config.Auth(AuthKeys.read(root.section("auth"))), source, engine(root.section("engine")),
                EgressKeys.read(root.section("network"), BUILT_IN.network()),
                EgressKeys.remoteCode(root.section("remoteCode"), BUILT_IN.remoteCode()));
        root.finish();
        return config;
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
        return new Pool(s.bool("enabled", b.enabled()), PoolSizes.read(s, b.size().get(Language.PYTHON)));
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
