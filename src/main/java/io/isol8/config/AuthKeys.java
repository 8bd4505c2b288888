package io.isol8.config;

import io.helidon.config.Config;
import io.isol8.config.Isol8Config.KeyEntry;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code auth.keys}: entries {@code {name, key}} or {@code {name, sha256}}. Messages never show a key, and show
 * no {@code sha256} value either (a plaintext key pasted there by mistake must not reach a log).
 */
final class AuthKeys {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final String NAME_EXPECTED = "a name matching ^[A-Za-z0-9._-]{1,64}$";

    private AuthKeys() {
    }

    static List<KeyEntry> read(Section auth) {
        List<Config> items = auth.list("keys", "a list of {name, key} or {name, sha256} entries").orElse(List.of());
        Map<String, String> firstUse = new HashMap<>();
        List<KeyEntry> entries = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            entry(items.get(i), auth.key("keys") + "[" + i + "]", auth.scalars(), firstUse).ifPresent(entries::add);
        }
        return entries;
    }

    private static Optional<KeyEntry> entry(Config item, String at, Scalars scalars, Map<String, String> firstUse) {
        Problems problems = scalars.problems();
        if (item.type() != Config.Type.OBJECT) {
            problems.badValue(at, Problems.shown(item), "a mapping with name and key, or name and sha256");
            return Optional.empty();
        }
        Section section = new Section(item, at + ".", scalars);
        Optional<String> name = name(section, firstUse);
        Optional<Config> key = section.take("key");
        Optional<Config> sha256 = section.take("sha256");
        boolean admin = section.bool("admin", false);
        section.finish();
        if (key.isPresent() == sha256.isPresent()) {
            problems.add(at + (key.isPresent() ? " has both key and sha256" : " has neither key nor sha256")
                    + " (expected exactly one of them)");
            return Optional.empty();
        }
        Optional<String> plain = key.isPresent()
                ? scalars.string(at + ".key", key, "", text -> !text.isEmpty(), "a non-empty string")
                : Optional.empty();
        Optional<String> hash = sha256.flatMap(node -> hash(node, at + ".sha256", problems));
        if (name.isEmpty() || plain.isEmpty() && hash.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new KeyEntry(name.get(), plain, hash, admin));
    }

    private static Optional<String> name(Section section, Map<String, String> firstUse) {
        String at = section.key("name");
        Optional<Config> node = section.take("name");
        if (node.isEmpty()) {
            section.scalars().problems().add(at + " is missing (expected " + NAME_EXPECTED + ")");
            return Optional.empty();
        }
        Optional<String> name = section.scalars().string(at, node, "", text -> NAME.matcher(text).matches(),
                NAME_EXPECTED);
        if (name.isPresent() && firstUse.putIfAbsent(name.get(), at) != null) {
            section.scalars().problems().badValue(at, Problems.quote(name.get()),
                    "a unique name; " + firstUse.get(name.get()) + " has it already");
            return Optional.empty();
        }
        return name;
    }

    private static Optional<String> hash(Config node, String at, Problems problems) {
        Optional<String> text = node.type() == Config.Type.VALUE ? Optional.of(node.asString().orElse(""))
                : Optional.empty();
        if (text.isEmpty() || !SHA256.matcher(text.get()).matches()) {
            problems.badValue(at, "<hidden>", "64 lowercase hex digits, the SHA-256 of the key");
            return Optional.empty();
        }
        return text;
    }
}
