package io.isol8.engine;

import io.isol8.core.ContainerSettings;
import io.isol8.core.ExecutionSpec;
import io.isol8.core.Isol8Exception;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/** The live sessions, keyed by (principal, session id), in memory only (api.md §9). */
public final class Sessions {
    private static final Logger LOG = Logger.getLogger(Sessions.class.getName());

    private final Map<Key, Session> byKey = new ConcurrentHashMap<>();
    private final Engine engine;
    private final int maxSessions;
    private final java.util.function.ToIntFunction<String> ownerQuota;

    private record Key(String principal, String id) {
    }

    public Sessions(Engine engine, int maxSessions) {
        this(engine, maxSessions, owner -> 0);
    }

    /**
     * @param ownerQuota sessions one owner (tenant) may have at once; 0 = no quota beyond {@code maxSessions}
     */
    public Sessions(Engine engine, int maxSessions, java.util.function.ToIntFunction<String> ownerQuota) {
        this.engine = engine;
        this.maxSessions = maxSessions;
        this.ownerQuota = ownerQuota;
    }

    /**
     * The caller's session {@code id}, created (without a container yet) if it does not exist.
     *
     * @throws Isol8Exception.Conflict runtime or container settings differ from the session's
     * @throws Isol8Exception.Busy     {@code limits.maxSessions} reached
     */
    public Session resolve(String principal, String id, ExecutionSpec spec) {
        Key key = new Key(principal, id);
        Session session = byKey.get(key);
        if (session == null) {
            // asked outside the lock: the quota may come from the key store
            int quota = ownerQuota.applyAsInt(principal);
            synchronized (byKey) {
                session = byKey.get(key);
                if (session == null) {
                    if (byKey.size() >= maxSessions) {
                        throw new Isol8Exception.Busy("Session limit reached (limits.maxSessions = " + maxSessions + ")");
                    }
                    if (quota > 0 && countOf(principal) >= quota) {
                        throw new Isol8Exception.Busy("Tenant \"" + principal + "\" is over its session quota (maxSessions = "
                                + quota + ")");
                    }
                    session = new Session(principal, id, spec.runtime(), spec.container(),
                            spec.explicitContainerKeys(), System.currentTimeMillis());
                    byKey.put(key, session);
                    return session;
                }
            }
        }
        checkCompatible(session, spec);
        return session;
    }

    private static void checkCompatible(Session s, ExecutionSpec spec) {
        if (s.runtime() != spec.runtime()) {
            String a = s.runtime().wireName();
            throw new Isol8Exception.Conflict("Cannot switch runtime from \"" + a + "\" to \"" + spec.runtime().wireName()
                    + "\": session \"" + s.id() + "\" is bound to " + a + ". Use a new sessionId for another runtime.");
        }
        if (!s.settings().equals(spec.container())) {
            for (Map.Entry<String, String> e : spec.explicitContainerKeys().entrySet()) {
                String was = s.createdWith().getOrDefault(e.getKey(), "the default");
                if (!Objects.equals(setting(s.settings(), e.getKey()), setting(spec.container(), e.getKey()))) {
                    throw new Isol8Exception.Conflict("options." + e.getKey() + " " + e.getValue()
                            + " conflicts with session \"" + s.id() + "\" (created with " + was
                            + "); container settings of a session cannot change");
                }
            }
        }
    }

    private static Object setting(ContainerSettings c, String key) {
        return switch (key) {
            case "memoryLimit" -> c.memoryBytes();
            case "cpuLimit" -> c.cpus();
            case "pidsLimit" -> c.pidsLimit();
            case "sandboxSize" -> c.sandboxBytes();
            case "tmpSize" -> c.tmpBytes();
            case "network" -> c.network();
            case "networkFilter" -> c.filter();
            case "readonlyRootFs" -> c.readonlyRootFs();
            case "image" -> c.image();
            default -> key;
        };
    }

    /** The caller's session, if it exists. */
    public Optional<Session> find(String principal, String id) {
        return Optional.ofNullable(byKey.get(new Key(principal, id)));
    }

    /** The caller's sessions, oldest first. */
    public List<Session> list(String principal) {
        return byKey.values().stream().filter(s -> s.principal().equals(principal))
                .sorted(Comparator.comparingLong(Session::createdAt)).toList();
    }

    /** The sessions of one owner. */
    public int countOf(String principal) {
        return (int) byKey.keySet().stream().filter(k -> k.principal().equals(principal)).count();
    }

    /**
     * Removes every session (admin {@code POST /cleanup}): stops their runs and removes their containers.
     *
     * @return how many there were
     */
    public int deleteAll() {
        int n = 0;
        for (Key k : List.copyOf(byKey.keySet())) {
            delete(k.principal(), k.id());
            n++;
        }
        return n;
    }

    public int count() {
        return byKey.size();
    }

    /** Removes the session at once, stops its run, removes its container. Idempotent. */
    public void delete(String principal, String id) {
        Session s = byKey.remove(new Key(principal, id));
        if (s != null) {
            s.delete();
            Sandbox box = s.sandbox();
            if (box != null) {
                engine.discard(box.containerId());
            }
        }
    }

    /** Forgets a session whose container could not be created or is gone; removes what is left. */
    void drop(Session s) {
        byKey.remove(new Key(s.principal(), s.id()), s);
        s.markEnded();
        Sandbox box = s.sandbox();
        if (box != null) {
            engine.discard(box.containerId());
        }
    }

    /**
     * Forgets a session whose first request failed before it had a container (api.md §9.1: a session
     * exists once its first request created it), unless other requests wait for it. Call with its lock held.
     */
    void abandon(Session s) {
        if (s.sandbox() == null && s.waiting() == 0) {
            s.markAbandoned();
            byKey.remove(new Key(s.principal(), s.id()), s);
        }
    }

    /** Removes sessions idle longer than {@code maxIdleMs} that nobody holds or waits for. */
    public int prune(long maxIdleMs) {
        long now = System.currentTimeMillis();
        int removed = 0;
        for (Session s : List.copyOf(byKey.values())) {
            if (s.ended() || now - s.lastAccessedAt() > maxIdleMs) {
                if (s.tryLockIdle()) {
                    try {
                        if (s.ended() || now - s.lastAccessedAt() > maxIdleMs) {
                            byKey.remove(new Key(s.principal(), s.id()), s);
                            s.delete();
                            Sandbox box = s.sandbox();
                            if (box != null) {
                                engine.discard(box.containerId());
                            }
                            removed++;
                        }
                    } finally {
                        s.unlock();
                    }
                }
            }
        }
        if (removed > 0) {
            LOG.info("pruned " + removed + " idle session(s)");
        }
        return removed;
    }

    /** Ends every session (shutdown): stops their runs; containers are removed with the instance. */
    public void cancelAll(CancelSignal.Reason why) {
        byKey.values().forEach(s -> s.cancel(why));
    }
}
