package io.isol8.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.isol8.core.Isol8Exception.BadRequest;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Typed access to the fields of one JSON object of a request. {@code null} reads as absent; a value
 * of the wrong JSON type is a {@link BadRequest} naming the field with its prefix
 * ({@code request.code must be a string}).
 */
final class JsonFields {
    private final ObjectNode node;
    private final String prefix;

    JsonFields(ObjectNode node, String prefix) {
        this.node = node;
        this.prefix = prefix;
    }

    /** Refuses the first field (in document order) that is not in {@code known}. */
    void rejectUnknown(Set<String> known) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new BadRequest("Unknown field \"" + prefix + name + "\"");
            }
        }
    }

    /** The value of {@code name} unless it is missing or JSON {@code null}. */
    Optional<JsonNode> present(String name) {
        JsonNode value = node.get(name);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value);
    }

    Optional<String> string(String name) {
        return present(name).map(v -> {
            if (!v.isTextual()) {
                throw invalid(name, "must be a string");
            }
            return v.textValue();
        });
    }

    /** An integer written without fraction or exponent; any magnitude (callers check ranges). */
    Optional<BigInteger> integer(String name) {
        return present(name).map(v -> {
            if (!v.isIntegralNumber()) {
                throw invalid(name, "must be an integer");
            }
            return v.bigIntegerValue();
        });
    }

    Optional<BigDecimal> number(String name) {
        return present(name).map(v -> {
            if (!v.isNumber()) {
                throw invalid(name, "must be a number");
            }
            return v.decimalValue();
        });
    }

    Optional<Boolean> bool(String name) {
        return present(name).map(v -> {
            if (!v.isBoolean()) {
                throw invalid(name, "must be a boolean");
            }
            return v.booleanValue();
        });
    }

    Optional<ObjectNode> object(String name) {
        return present(name).map(v -> {
            if (!v.isObject()) {
                throw invalid(name, "must be an object");
            }
            return (ObjectNode) v;
        });
    }

    /** An object whose values are all strings, in document order. */
    Optional<Map<String, String>> stringMap(String name) {
        return present(name).map(v -> {
            if (!v.isObject()) {
                throw invalid(name, "must be an object of strings");
            }
            Map<String, String> result = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : v.properties()) {
                if (!entry.getValue().isTextual()) {
                    throw invalid(name, "must be an object of strings");
                }
                result.put(entry.getKey(), entry.getValue().textValue());
            }
            return result;
        });
    }

    Optional<List<String>> stringList(String name) {
        return present(name).map(v -> {
            if (!v.isArray()) {
                throw invalid(name, "must be an array of strings");
            }
            List<String> result = new ArrayList<>(v.size());
            for (JsonNode element : v) {
                if (!element.isTextual()) {
                    throw invalid(name, "must be an array of strings");
                }
                result.add(element.textValue());
            }
            return result;
        });
    }

    /** {@code <prefix><name> <text>}, e.g. {@code options.persist is not supported by this server}. */
    BadRequest invalid(String name, String text) {
        return new BadRequest(prefix + name + " " + text);
    }
}
