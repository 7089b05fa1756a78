package dev.convexpipeline.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.convex.ConvexValues;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The contract's test vectors (src/test/contract/vectors/*.json, format in src/test/contract/README.md)
 * and their notation, read the way the vitest runner (src/test/contract/contract.test.ts) reads them:
 * {@code {"$int64": "5"}}, {@code {"$ref": name}}, and in expected values {@code {"$any": type}},
 * {@code {"$format": "text {name}"}} and {@code {"$unordered": [...]}}.
 */
final class ContractVectors {
    static final Path DIRECTORY = Path.of("src/test/contract/vectors");
    /** The application tables, in contract order: every vector checks all of them at the end. */
    static final List<String> TABLES = List.of("users", "entitlements", "stripe_events", "stripe_reconcile_state",
            "stripe_reconcile_seen", "auth_challenges", "admin_nonces", "evm_links", "evm_challenges");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)}");
    private static final Set<String> SYSTEM_FIELDS = Set.of("_id", "_creationTime");

    private ContractVectors() {
    }

    static List<Path> files() {
        try (Stream<Path> files = Files.list(DIRECTORY)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".json")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode read(Path file) {
        try {
            return (ObjectNode) ConvexValues.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read vector " + file + ": " + e.getMessage(), e);
        }
    }

    /** Vector notation to Convex values: plain numbers are float64, {@code $int64} is int64, {@code $ref} an ID. */
    static JsonNode toConvex(JsonNode value, Map<String, String> bindings) {
        if (value.isNumber()) {
            return ConvexValues.float64(value.doubleValue());
        }
        if (value.isArray()) {
            ArrayNode out = NODES.arrayNode();
            value.forEach(item -> out.add(toConvex(item, bindings)));
            return out;
        }
        if (value.isObject()) {
            if (value.path("$int64").isTextual()) {
                return ConvexValues.int64(Long.parseLong(value.get("$int64").textValue()));
            }
            if (value.path("$ref").isTextual()) {
                return TextNode.valueOf(bound(bindings, value.get("$ref").textValue()));
            }
            ObjectNode out = NODES.objectNode();
            value.properties().forEach(field -> out.set(field.getKey(), toConvex(field.getValue(), bindings)));
            return out;
        }
        return value;
    }

    static String bound(Map<String, String> bindings, String name) {
        String id = bindings.get(name);
        if (id == null) {
            throw new IllegalStateException("vector refers to \"" + name + "\" before binding it");
        }
        return id;
    }

    /** True when {@code value} names a binding not made yet (a document that must be inserted after another). */
    static boolean refersToUnbound(JsonNode value, Map<String, String> bindings) {
        if (value.isObject() && value.path("$ref").isTextual()) {
            return !bindings.containsKey(value.get("$ref").textValue());
        }
        if (value.isContainerNode()) {
            for (JsonNode item : value) {
                if (refersToUnbound(item, bindings)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Where {@code actual} (a Convex value) differs from {@code expected} (vector notation with
     * matchers). An expected object names every field of the actual one except _id/_creationTime.
     */
    static List<String> mismatches(JsonNode expected, JsonNode actual, Map<String, String> bindings, String path) {
        List<String> problems = new ArrayList<>();
        if (expected.isObject()) {
            if (expected.path("$any").isTextual()) {
                String type = expected.get("$any").textValue();
                boolean matches = "number".equals(type) ? actual.isFloatingPointNumber() : actual.isTextual();
                return matches ? problems : List.of(path + ": expected any " + type + ", got " + actual);
            }
            if (expected.path("$ref").isTextual()) {
                String id = bound(bindings, expected.get("$ref").textValue());
                return actual.isTextual() && actual.textValue().equals(id) ? problems
                        : List.of(path + ": expected ID of " + expected.get("$ref").textValue() + ", got " + actual);
            }
            if (expected.path("$format").isTextual()) {
                Matcher names = PLACEHOLDER.matcher(expected.get("$format").textValue());
                String text = names.replaceAll(match -> Matcher.quoteReplacement(bound(bindings, match.group(1))));
                return actual.isTextual() && actual.textValue().equals(text) ? problems
                        : List.of(path + ": expected \"" + text + "\", got " + actual);
            }
            if (expected.path("$int64").isTextual()) {
                return actual.isIntegralNumber() && actual.longValue() == Long.parseLong(expected.get("$int64").textValue())
                        ? problems : List.of(path + ": expected int64 " + expected.get("$int64").textValue() + ", got " + actual);
            }
            if (expected.path("$unordered").isArray()) {
                return unorderedMismatches(expected.get("$unordered"), actual, bindings, path);
            }
            if (!actual.isObject()) {
                return List.of(path + ": expected an object, got " + actual);
            }
            Set<String> keys = new HashSet<>();
            expected.fieldNames().forEachRemaining(keys::add);
            actual.fieldNames().forEachRemaining(keys::add);
            for (String key : keys.stream().sorted().toList()) {
                if (!expected.has(key)) {
                    if (!SYSTEM_FIELDS.contains(key)) {
                        problems.add(path + "." + key + ": unexpected field (" + actual.get(key) + ")");
                    }
                } else if (!actual.has(key)) {
                    problems.add(path + "." + key + ": missing");
                } else {
                    problems.addAll(mismatches(expected.get(key), actual.get(key), bindings, path + "." + key));
                }
            }
            return problems;
        }
        if (expected.isArray()) {
            if (!actual.isArray() || actual.size() != expected.size()) {
                return List.of(path + ": expected " + expected.size() + " item(s), got " + actual);
            }
            for (int i = 0; i < expected.size(); i++) {
                problems.addAll(mismatches(expected.get(i), actual.get(i), bindings, path + "[" + i + "]"));
            }
            return problems;
        }
        if (expected.isNumber()) {
            // A plain number in a vector is a float64.
            return actual.isFloatingPointNumber() && actual.doubleValue() == expected.doubleValue() ? problems
                    : List.of(path + ": expected float64 " + expected + ", got " + actual);
        }
        return expected.equals(actual) ? problems : List.of(path + ": expected " + expected + ", got " + actual);
    }

    static List<String> unorderedMismatches(JsonNode expected, JsonNode actual, Map<String, String> bindings, String path) {
        if (!actual.isArray() || actual.size() != expected.size()) {
            return List.of(path + ": expected " + expected.size() + " item(s) in any order, got " + actual);
        }
        List<JsonNode> left = new ArrayList<>();
        actual.forEach(left::add);
        for (JsonNode item : expected) {
            Iterator<JsonNode> candidates = left.iterator();
            boolean found = false;
            while (candidates.hasNext()) {
                if (mismatches(item, candidates.next(), bindings, path).isEmpty()) {
                    candidates.remove();
                    found = true;
                    break;
                }
            }
            if (!found) {
                return List.of(path + ": no item matches " + item + " among " + left);
            }
        }
        return List.of();
    }
}
