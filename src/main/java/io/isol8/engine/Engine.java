package io.isol8.engine;

import io.isol8.core.ExecutionSpec;
import io.isol8.core.Language;

import java.util.Map;
import java.util.Optional;

/** The port to the container engine. Every method blocks; call them on virtual threads. */
public interface Engine extends AutoCloseable {
    /**
     * A container for one ephemeral execution: a warm one when the spec's container settings are the
     * defaults, else a freshly created one.
     *
     * @throws io.isol8.core.Isol8Exception.Unavailable Docker unreachable or image missing
     */
    Sandbox ephemeral(ExecutionSpec spec);

    /** Creates and starts the container of a new session. */
    Sandbox session(ExecutionSpec spec, String principal, String sessionId);

    /** Force-removes a container in the background; ignores "already gone". */
    void discard(String containerId);

    /** Whether the engine answers a ping (may be cached briefly). */
    boolean reachable();

    /** Image presence per runtime (cached). */
    Map<Language, Boolean> images();

    /**
     * Why the present images cannot be used as configured, e.g. built before the agent existed while
     * {@code engine.executor} is {@code agent}; empty when they can. Cached like {@link #images()}.
     */
    default Optional<String> imageProblem() {
        return Optional.empty();
    }

    /** Whether sandboxes take live stdin, signals and terminals ({@link Interaction}); the agent executor does. */
    default boolean interactive() {
        return false;
    }

    /**
     * What fetches {@code request.codeUrl} under the egress address rules; empty when {@code remoteCode.enabled} is
     * false.
     */
    default Optional<io.isol8.engine.egress.CodeFetcher> codeFetcher() {
        return Optional.empty();
    }

    /**
     * Whether a package image of {@code runtime} built on its current runtime image holds every entry of
     * {@code packages}, so an execution that asks for them needs no install phase (and no network). Cached briefly;
     * false when the engine cannot tell.
     */
    default boolean packageImageCovers(Language runtime, java.util.List<String> packages) {
        return false;
    }

    /** Idle warm containers per runtime. */
    Map<Language, Integer> poolIdle();

    /**
     * CPUs of the engine's host, which bound a request's {@code cpuLimit}. Asked from the engine and cached; while
     * the engine has never answered, the JVM's {@code availableProcessors()} stands in.
     */
    int hostCpus();

    /** Where the engine is, for messages. */
    String endpoint();

    /** Whether the start-up sweep took its snapshot. */
    boolean swept();

    /** Removes every container of this instance (bounded in time) and closes the client. */
    @Override
    void close();
}
