package io.isol8.bench;

import io.isol8.bench.Bench.BadArgs;
import io.isol8.bench.Bench.Options;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;
import java.util.Set;

import static io.isol8.bench.Bench.RUNTIMES;
import static io.isol8.bench.Bench.SWITCHES;
import static io.isol8.bench.Bench.VALUES;

/** The arguments of {@code isol8 bench}, checked into {@link Options}. */
final class BenchArgs {
    private BenchArgs() {
    }


    static Options parse(Map<String, String> values, Set<String> switches, Map<String, String> env) {
        for (String k : values.keySet()) {
            if (!VALUES.contains(k)) {
                throw new BadArgs("Unknown argument: " + k);
            }
        }
        for (String s : switches) {
            if (!SWITCHES.contains(s)) {
                throw new BadArgs("Unknown argument: " + s);
            }
        }
        URI url = url(values.getOrDefault("--url", "http://127.0.0.1:3000"));
        String key = values.get("--key");
        if (key == null) {
            key = env.get("ISOL8_API_KEY");
        }
        if (key == null || key.isBlank()) {
            throw new BadArgs("--key is required (or set ISOL8_API_KEY)");
        }
        String runtime = values.getOrDefault("--runtime", "python");
        if (!RUNTIMES.contains(runtime)) {
            throw new BadArgs("--runtime must be one of " + String.join(", ", RUNTIMES) + ", got \"" + runtime + "\"");
        }
        int requests = number(values, "--requests", 200, 1, 10_000_000);
        int concurrency = number(values, "--concurrency", 1, 1, 1000);
        int warmup = number(values, "--warmup", 5, 0, 1_000_000);
        int floorExecs = number(values, "--floor-execs", 200, 1, 1_000_000);
        int floorContainers = number(values, "--floor-containers", 30, 1, 100_000);
        int pauseMs = number(values, "--pause", 0, 0, 600_000);
        String code = values.getOrDefault("--code", defaultCode(runtime));
        if (code.isBlank()) {
            throw new BadArgs("--code must not be blank");
        }
        String image = values.getOrDefault("--image", "isol8:" + runtime);
        if (image.isBlank()) {
            throw new BadArgs("--image must not be blank");
        }
        return new Options(url, key, runtime, requests, concurrency, warmup, code, switches.contains("--session"),
                switches.contains("--stream"), switches.contains("--floor"), switches.contains("--json"), image,
                floorExecs, floorContainers, pauseMs, switches.contains("--cpu"));
    }

    static String defaultCode(String runtime) {
        return switch (runtime) {
            case "python" -> "print(1)";
            case "bash" -> "echo 1";
            default -> "console.log(1)";
        };
    }

    static int number(Map<String, String> values, String name, int dflt, int min, int max) {
        String raw = values.get(name);
        if (raw == null) {
            return dflt;
        }
        try {
            long v = Long.parseLong(raw.trim());
            if (v >= min && v <= max) {
                return (int) v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadArgs(name + " must be a whole number from " + min + " to " + max + ", got \"" + raw + "\"");
    }

    static URI url(String raw) {
        try {
            URI u = new URI(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null
                    && (u.getRawPath() == null || u.getRawPath().isEmpty()) && u.getRawQuery() == null) {
                return u;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new BadArgs("--url must look like http://HOST:PORT, got \"" + raw + "\"");
    }
}
