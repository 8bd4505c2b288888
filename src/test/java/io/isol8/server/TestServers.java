package io.isol8.server;

import io.helidon.webserver.http.HttpRouting;
import io.isol8.config.Isol8Config;
import io.isol8.engine.Admission;
import io.isol8.engine.Engine;
import io.isol8.engine.Executions;
import io.isol8.engine.Sessions;

import io.isol8.core.KeyDigest;


/** Builds the real routing over a given engine, for in-process tests. */
final class TestServers {
    static final String KEY = "test-key-0123456789abcdef";
    static final String OTHER_KEY = "other-key-0123456789abcdef";

    private TestServers() {
    }

    static void routing(HttpRouting.Builder routing, Engine engine) {
        Isol8Config config = Isol8Config.builtIn();
        Metrics metrics = new Metrics();
        Executions executions = new Executions(engine, new Sessions(engine, 100),
                new Admission(10, 100, metrics), 30_000, 8, metrics);
        metrics.bind("1.0.0", engine, executions);
        Tenancy tenancy = new Tenancy(config, java.util.List.of(new StaticKey("default", KeyDigest.of(KEY), true),
                new StaticKey("other", KeyDigest.of(OTHER_KEY), false)), java.util.Optional.empty(), metrics);
        Routes.configure(routing, config, "1.0.0", tenancy, engine, executions, metrics);
    }

}
