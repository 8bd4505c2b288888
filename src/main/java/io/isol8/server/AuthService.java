package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.isol8.auth.CreatedKey;
import io.isol8.auth.KeyStore;
import io.isol8.auth.StoredKey;
import io.isol8.config.Isol8Config;
import io.isol8.core.Isol8Exception;
import io.isol8.engine.Executions;

import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code /auth/*} as isol8 0.20 answers it (keys, login) plus rotation, whoami and tenant quotas and usage;
 * and the admin-only {@code POST /cleanup}. Key management needs an admin principal (403 otherwise) and a key
 * store (400 otherwise); bodies are validated field by field (400 naming the field).
 */
final class AuthService implements HttpService {
    static final String ADMIN_ONLY = "Master key required for this operation";
    static final String NO_STORE = "DB-backed auth is not enabled";
    static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final long DEFAULT_TTL_MS = 30L * 24 * 3600 * 1000;
    private static final long LOGIN_TTL_MS = 3600L * 1000;
    private static final long MIN_TTL_MS = 60_000;
    private static final long MAX_BODY = 65_536;

    private final Optional<DbKeys> stored;
    private final Tenants tenants;
    private final Executions executions;
    private final Audit audit;
    private final Isol8Config config;
    private final JsonBodyReader reader = new JsonBodyReader(MAX_BODY);

    AuthService(Optional<DbKeys> stored, Tenants tenants, Executions executions, Audit audit, Isol8Config config) {
        this.stored = stored;
        this.tenants = tenants;
        this.executions = executions;
        this.audit = audit;
        this.config = config;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/auth/keys", this::create)
                .get("/auth/keys", this::list)
                .delete("/auth/keys/{id}", this::revoke)
                .post("/auth/keys/{id}/rotate", this::rotate)
                .post("/auth/login", this::login)
                .get("/auth/whoami", this::whoami)
                .get("/auth/tenants/{id}", this::getTenant)
                .put("/auth/tenants/{id}", this::putTenant)
                .get("/auth/tenants/{id}/usage", this::usage)
                .post("/cleanup", this::cleanup);
    }

    private static Caller caller(ServerRequest req) {
        return req.context().get(Caller.class).orElseThrow();
    }

    /** The admin check first, then the store (0.20's order). */
    private DbKeys admin(ServerRequest req) {
        if (!caller(req).admin()) {
            throw new Isol8Exception.Forbidden(ADMIN_ONLY);
        }
        return stored.orElseThrow(() -> new Isol8Exception.BadRequest(NO_STORE));
    }

    private KeyStore store(DbKeys keys) {
        return keys.store();
    }

    // ---- POST /auth/keys, POST /auth/login --------------------------------------------------------

    private record KeyRequest(String name, String tenantId, long ttlMs) {
    }

    private KeyRequest keyRequest(ServerRequest req, boolean nameRequired, String defaultName, long defaultTtl) {
        byte[] body = Bodies.read(req, MAX_BODY, "the /auth body limit");
        JsonFields f;
        if (body.length == 0 && !nameRequired) {
            f = new JsonFields(Json.object(), "");
        } else {
            JsonNode root = reader.read(body);
            if (!(root instanceof ObjectNode o)) {
                throw new Isol8Exception.BadRequest("Request body must be a JSON object");
            }
            f = new JsonFields(o, "");
        }
        f.rejectUnknown(Set.of("name", "tenantId", "ttlMs"));
        Optional<String> name = f.string("name");
        if (name.isEmpty() && nameRequired) {
            throw new Isol8Exception.BadRequest("name is required");
        }
        String n = name.orElse(defaultName);
        if (n.isEmpty() || n.codePointCount(0, n.length()) > 128 || n.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new Isol8Exception.BadRequest("name must be 1-128 characters without control characters");
        }
        String tenant = f.string("tenantId").orElse("default");
        if (!TENANT.matcher(tenant).matches()) {
            throw new Isol8Exception.BadRequest(
                    "tenantId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit");
        }
        long max = config.auth().maxTtlMs();
        long ttl = f.integer("ttlMs").map(v -> ttl(v, max)).orElse(Math.min(defaultTtl, max));
        return new KeyRequest(n, tenant, ttl);
    }

    private static long ttl(BigInteger v, long max) {
        if (v.compareTo(BigInteger.valueOf(MIN_TTL_MS)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw new Isol8Exception.BadRequest("ttlMs must be between " + MIN_TTL_MS + " and " + max
                    + " (auth.maxTtlMs)");
        }
        return v.longValueExact();
    }

    private void create(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        KeyRequest k = keyRequest(req, true, "", DEFAULT_TTL_MS);
        CreatedKey created = keys.call(() -> store(keys).create(k.name(), k.tenantId(), k.ttlMs()));
        audit.keyEvent("key.created", caller(req), created.stored());
        Json.send(res, Status.CREATED_201, created(created));
    }

    private static ObjectNode created(CreatedKey c) {
        StoredKey s = c.stored();
        return Json.object().put("id", s.id()).put("key", c.key()).put("name", s.name()).put("keyPrefix", s.keyPrefix())
                .put("tenantId", s.tenantId()).put("expiresAt", Json.timestamp(s.expiresAt()));
    }

    private void login(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        KeyRequest k = keyRequest(req, false, "login-token", LOGIN_TTL_MS);
        CreatedKey created = keys.call(() -> store(keys).create(k.name(), k.tenantId(), k.ttlMs()));
        audit.keyEvent("login", caller(req), created.stored());
        Json.send(res, Status.OK_200, Json.object().put("token", created.key())
                .put("expiresAt", Json.timestamp(created.stored().expiresAt())).put("keyId", created.stored().id()));
    }

    // ---- GET /auth/keys ---------------------------------------------------------------------------

    private void list(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        Optional<String> tenant = req.query().first("tenantId").asOptional().filter(t -> !t.isEmpty());
        if (tenant.isPresent() && !TENANT.matcher(tenant.get()).matches()) {
            throw new Isol8Exception.BadRequest(
                    "tenantId must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit");
        }
        List<StoredKey> all = keys.call(() -> store(keys).list(tenant));
        ObjectNode body = Json.object();
        ArrayNode list = body.putArray("keys");
        for (StoredKey k : all) {
            info(list.addObject(), k);
        }
        Json.send(res, Status.OK_200, body);
    }

    private static void info(ObjectNode n, StoredKey k) {
        n.put("id", k.id()).put("name", k.name()).put("keyPrefix", k.keyPrefix()).put("tenantId", k.tenantId())
                .put("createdAt", Json.timestamp(k.createdAt())).put("expiresAt", Json.timestamp(k.expiresAt()))
                .put("lastUsedAt", k.lastUsedAt().map(Json::timestamp).orElse(null)).put("revoked", k.revoked())
                .put("revokedAt", k.revokedAt().map(Json::timestamp).orElse(null));
    }

    // ---- DELETE /auth/keys/{id}, POST /auth/keys/{id}/rotate --------------------------------------

    private static String keyId(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        if (id.isEmpty() || id.length() > 128) {
            throw new Isol8Exception.NotFound("Key not found");
        }
        return id;
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        String id = keyId(req);
        Optional<StoredKey> revoked = keys.call(() -> store(keys).revoke(id));
        keys.invalidate(id);
        if (revoked.isEmpty()) {
            throw new Isol8Exception.NotFound("Key not found");
        }
        audit.keyEvent("key.revoked", caller(req), revoked.get());
        Json.send(res, Status.OK_200, Json.object().put("ok", true).put("id", id));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        String id = keyId(req);
        byte[] body = Bodies.read(req, MAX_BODY, "the /auth body limit");
        long graceMs = 0;
        if (body.length > 0) {
            JsonNode root = reader.read(body);
            if (!(root instanceof ObjectNode o)) {
                throw new Isol8Exception.BadRequest("Request body must be a JSON object");
            }
            JsonFields f = new JsonFields(o, "");
            f.rejectUnknown(Set.of("graceMs"));
            graceMs = f.integer("graceMs").map(v -> {
                if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(config.auth().maxTtlMs())) > 0) {
                    throw new Isol8Exception.BadRequest("graceMs must be between 0 and " + config.auth().maxTtlMs()
                            + " (auth.maxTtlMs)");
                }
                return v.longValueExact();
            }).orElse(0L);
        }
        long grace = graceMs;
        Optional<KeyStore.Rotated> rotated = keys.call(() -> store(keys).rotate(id, grace));
        keys.invalidate(id);
        if (rotated.isEmpty()) {
            throw new Isol8Exception.NotFound("Key not found");
        }
        audit.keyEvent("key.rotated", caller(req), rotated.get().fresh().stored());
        ObjectNode out = created(rotated.get().fresh());
        out.put("previousKeyId", id).put("previousExpiresAt", Json.timestamp(rotated.get().old().expiresAt()));
        Json.send(res, Status.CREATED_201, out);
    }

    // ---- whoami, tenants --------------------------------------------------------------------------

    private void whoami(ServerRequest req, ServerResponse res) {
        Caller c = caller(req);
        ObjectNode out = Json.object().put("principal", c.principal()).put("tenantId", c.tenant())
                .put("admin", c.admin()).put("keyId", c.keyId().orElse(null))
                .put("expiresAt", c.expiresAt().map(Json::timestamp).orElse(null));
        quotas(out.putObject("quotas"), tenants.quotas(c.tenant()));
        Json.send(res, Status.OK_200, out);
    }

    private static void quotas(ObjectNode n, Isol8Config.Quotas q) {
        n.put("maxConcurrent", q.maxConcurrent()).put("maxSessions", q.maxSessions())
                .put("maxTimeoutMs", q.maxTimeoutMs()).put("requestsPerMinute", q.requestsPerMinute());
    }

    /** An admin may see any tenant; others only their own (404 for another, so ids are not probed). */
    private String tenantParam(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        if (!TENANT.matcher(id).matches()) {
            throw new Isol8Exception.BadRequest(
                    "tenant id must be 1-128 characters from A-Z a-z 0-9 . _ : - and start with a letter or digit");
        }
        Caller c = caller(req);
        if (!c.admin() && !c.tenant().equals(id)) {
            throw new Isol8Exception.NotFound("Tenant not found");
        }
        return id;
    }

    private void getTenant(ServerRequest req, ServerResponse res) {
        String id = tenantParam(req);
        ObjectNode out = Json.object().put("tenantId", id);
        quotas(out.putObject("quotas"), tenants.quotas(id));
        Json.send(res, Status.OK_200, out);
    }

    private void putTenant(ServerRequest req, ServerResponse res) {
        DbKeys keys = admin(req);
        String id = tenantParam(req);
        JsonNode root = reader.read(Bodies.read(req, MAX_BODY, "the /auth body limit"));
        if (!(root instanceof ObjectNode o)) {
            throw new Isol8Exception.BadRequest("Request body must be a JSON object");
        }
        JsonFields f = new JsonFields(o, "");
        f.rejectUnknown(Set.of("maxConcurrent", "maxSessions", "maxTimeoutMs", "requestsPerMinute"));
        Isol8Config.Quotas q = new Isol8Config.Quotas(
                (int) quota(f, "maxConcurrent", 100_000), (int) quota(f, "maxSessions", 100_000),
                quota(f, "maxTimeoutMs", config.limits().timeoutMs()), (int) quota(f, "requestsPerMinute", 10_000_000));
        keys.call(() -> {
            store(keys).putQuotas(id, q);
            return null;
        });
        tenants.quotasChanged(id);
        getTenant(req, res);
    }

    /** A quota field: absent or {@code null} → the configured default ({@code -1}); 0 = no quota. */
    private static long quota(JsonFields f, String name, long max) {
        return f.integer(name).map(v -> {
            if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
                throw new Isol8Exception.BadRequest(name + " must be between 0 and " + max);
            }
            return v.longValueExact();
        }).orElse(-1L);
    }

    private void usage(ServerRequest req, ServerResponse res) {
        String id = tenantParam(req);
        Tenants.Usage u = tenants.usage(id);
        Json.send(res, Status.OK_200, Json.object().put("tenantId", id).put("executions", u.executions())
                .put("cpuMs", u.cpuMs()).put("runningNow", u.running())
                .put("sessionsNow", executions.sessions().countOf(id)).put("requests", u.requests())
                .put("rejected", u.rejected()));
    }

    // ---- POST /cleanup ----------------------------------------------------------------------------

    /** 0.20's route: ends every session (their containers go); never removes images. Admins only. */
    private void cleanup(ServerRequest req, ServerResponse res) {
        if (!caller(req).admin()) {
            throw new Isol8Exception.Forbidden(ADMIN_ONLY);
        }
        int removed = executions.sessions().deleteAll();
        Json.send(res, Status.OK_200, Json.object().put("ok", true).put("removed", removed));
    }

}
