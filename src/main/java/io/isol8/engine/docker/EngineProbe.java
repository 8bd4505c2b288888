package io.isol8.engine.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import io.isol8.config.Isol8Config;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;
import io.isol8.core.Language;
import io.isol8.engine.agent.Frames;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Cached answers about the engine, kept off the request path (sandbox.md §1): whether it answers a ping
 * (cached 1 s) and which runtime images it has (cached 30 s, re-checked at once when a request needs a
 * missing one).
 */
final class EngineProbe {
    private static final long IMAGE_CACHE_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long PING_CACHE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LONG_AGO = Long.MIN_VALUE / 2;

    private final DockerClient docker;
    private final Isol8Config.Images configured;
    private final boolean agentNeeded;
    private volatile Map<Language, Boolean> images = Map.of();
    private volatile Optional<String> agentMissing = Optional.empty();
    private volatile long imagesCheckedAt = LONG_AGO;
    private final Runnable renew;
    private volatile boolean pingOk = true;
    private volatile long pingedAt = LONG_AGO;

    /**
     * @param agentNeeded whether images must carry the agent ({@code engine.executor: agent})
     * @param renew runs when a ping fails after one succeeded (the engine went away) and when one succeeds
     *              after one failed (it came back): connections pooled before either are dead
     */
    EngineProbe(DockerClient docker, Isol8Config.Images configured, boolean agentNeeded, Runnable renew) {
        this.renew = renew;
        this.docker = docker;
        this.configured = configured;
        this.agentNeeded = agentNeeded;
    }

    /**
     * Whether Docker answered its last ping; pings at most once a second. A ping that fails after one succeeded is
     * tried once more on fresh connections: the pooled ones die with an engine restart, even a restart that ended
     * before this ping. Never throws.
     */
    boolean reachable() {
        long now = System.nanoTime();
        if (now - pingedAt > PING_CACHE_NANOS) {
            boolean ok = ping();
            if (ok != pingOk) {
                renew.run();
                if (!ok) {
                    ok = ping();
                }
            }
            pingOk = ok;
            pingedAt = now;
        }
        return pingOk;
    }

    private boolean ping() {
        try {
            docker.pingCmd().exec();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Which configured runtime images exist; the last known answer while Docker does not answer. */
    Map<Language, Boolean> images() {
        long now = System.nanoTime();
        if (now - imagesCheckedAt > IMAGE_CACHE_NANOS) {
            Map<Language, Boolean> found = new EnumMap<>(Language.class);
            String withoutAgent = null;
            try {
                for (Language r : Language.values()) {
                    Optional<Map<String, String>> labels = labels(configured.of(r));
                    found.put(r, labels.isPresent());
                    if (withoutAgent == null && agentNeeded && labels.isPresent()
                            && !Integer.toString(Frames.VERSION).equals(labels.get().get(Containers.AGENT_LABEL))) {
                        withoutAgent = configured.of(r);
                    }
                }
                images = Map.copyOf(found);
                agentMissing = Optional.ofNullable(withoutAgent);
                imagesCheckedAt = now;
            } catch (RuntimeException e) {
                return images;
            }
        }
        return images;
    }

    /**
     * Fails fast when the request uses its runtime's configured image and that image is known to be missing
     * (after one fresh look).
     *
     * @throws Isol8Exception.Unavailable the image is missing
     */
    void ensureImage(ExecutionSpec spec) {
        if (spec.container().image().equals(configured.of(spec.runtime()))
                && !images().getOrDefault(spec.runtime(), true)) {
            imagesCheckedAt = LONG_AGO;
            if (!images().getOrDefault(spec.runtime(), true)) {
                throw Isol8Exception.Unavailable.imageMissing(spec.container().image(), spec.runtime());
            }
        }
    }

    /**
     * The first present configured image without the agent's label while the agent executor is configured (images
     * built before the agent existed); refreshed with {@link #images()}.
     */
    Optional<String> agentMissing() {
        images();
        return agentMissing;
    }

    /** The image's labels (none: empty map), or empty when the image is missing. */
    private Optional<Map<String, String>> labels(String image) {
        try {
            var config = docker.inspectImageCmd(image).exec().getConfig();
            Map<String, String> labels = config == null ? null : config.getLabels();
            return Optional.of(labels == null ? Map.of() : labels);
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }
}
