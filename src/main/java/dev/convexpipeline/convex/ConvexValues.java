package dev.convexpipeline.convex;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BinaryNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Convex values and their JSON wire formats (docs/convex-wire.md §1.2, §1.3; crates/value/src/export.rs).
 *
 * <p>A Convex value is modelled as a Jackson tree: integral nodes ({@link LongNode}) are int64,
 * {@link DoubleNode} is float64, {@link BinaryNode} is bytes, and objects keep their fields sorted
 * as Convex's BTreeMap does. The formats are hand-written because no library knows Convex's
 * {@code $integer}/{@code $float}/{@code $bytes} encoding.
 */
public final class ConvexValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Parses JSON keeping integers and floats apart, as serde_json does. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    private ConvexValues() {
    }

    /** Thrown when JSON is not a valid Convex value in the expected format. */
    public static final class InvalidValueException extends IllegalArgumentException {
        public InvalidValueException(String message) {
            super(message);
        }
    }

    // ---- model constructors -------------------------------------------------------------

    public static JsonNode int64(long value) {
        return LongNode.valueOf(value);
    }

    public static JsonNode float64(double value) {
        return DoubleNode.valueOf(value);
    }

    public static JsonNode bytes(byte[] value) {
        return BinaryNode.valueOf(value);
    }

    public static boolean isInt64(JsonNode node) {
        return node.isIntegralNumber();
    }

    public static boolean isFloat64(JsonNode node) {
        return node.isFloatingPointNumber();
    }

    // ---- convex_encoded_json ------------------------------------------------------------

    /** Decodes encoded JSON (function arguments, sync values): every plain number is a float64. */
    public static JsonNode fromEncoded(JsonNode json) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return NODES.nullNode();
        }
        if (json.isBoolean() || json.isTextual()) {
            return json;
        }
        if (json.isNumber()) {
            return DoubleNode.valueOf(json.doubleValue());
        }
        if (json.isArray()) {
            ArrayNode out = NODES.arrayNode(json.size());
            json.forEach(element -> out.add(fromEncoded(element)));
            return out;
        }
        if (json.isObject()) {
            JsonNode special = decodeSpecialObject(json);
            if (special != null) {
                return special;
            }
            return mapObject(json, ConvexValues::fromEncoded);
        }
        throw new InvalidValueException("Unsupported JSON value: " + json.getNodeType());
    }

    /** Encodes a value as encoded JSON: int64 as {@code $integer}, bytes as {@code $bytes}. */
    public static JsonNode toEncoded(JsonNode value) {
        if (value.isIntegralNumber()) {
            return special("$integer", longBytes(checkedLong(value)));
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            if (Double.isFinite(d) && !isNegativeZero(d)) {
                return DoubleNode.valueOf(d);
            }
            return special("$float", doubleBytes(d));
        }
        if (value.isBinary()) {
            return special("$bytes", binary(value));
        }
        if (value.isArray()) {
            ArrayNode out = NODES.arrayNode(value.size());
            value.forEach(element -> out.add(toEncoded(element)));
            return out;
        }
        if (value.isObject()) {
            return mapObject(value, ConvexValues::toEncoded);
        }
        return value;
    }

    // ---- export_json (lossless clean) -------------------------------------------------

    /** Encodes a value as export_json, the ZIP snapshot format. */
    public static JsonNode toExportJson(JsonNode value) {
        if (value.isIntegralNumber()) {
            return LongNode.valueOf(checkedLong(value));
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            return Double.isFinite(d) ? DoubleNode.valueOf(d) : special("$float", doubleBytes(d));
        }
        if (value.isBinary()) {
            return special("$bytes", binary(value));
        }
        if (value.isArray()) {
            ArrayNode out = NODES.arrayNode(value.size());
            value.forEach(element -> out.add(toExportJson(element)));
            return out;
        }
        if (value.isObject()) {
            return mapObject(value, ConvexValues::toExportJson);
        }
        return value;
    }

    /**
     * Decodes export_json ({@code ConvexValue::from_clean_lossless}): a JSON integer is int64, any
     * other number float64, and an object whose first key starts with {@code $} is encoded JSON.
     */
    public static JsonNode fromExportJson(JsonNode json) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return NODES.nullNode();
        }
        if (json.isBoolean() || json.isTextual()) {
            return json;
        }
        if (json.isIntegralNumber()) {
            if (!json.canConvertToLong()) {
                throw new InvalidValueException("number is neither i64 nor f64: " + json.asText());
            }
            return LongNode.valueOf(json.longValue());
        }
        if (json.isNumber()) {
            return DoubleNode.valueOf(json.doubleValue());
        }
        if (json.isArray()) {
            ArrayNode out = NODES.arrayNode(json.size());
            json.forEach(element -> out.add(fromExportJson(element)));
            return out;
        }
        if (json.isObject()) {
            Iterator<String> names = sortedNames(json).iterator();
            if (names.hasNext() && names.next().startsWith("$")) {
                return fromEncoded(json);
            }
            return mapObject(json, ConvexValues::fromExportJson);
        }
        throw new InvalidValueException("Unsupported JSON value: " + json.getNodeType());
    }

    // ---- json (clean, lossy) ------------------------------------------------------------

    /** Encodes a value as clean JSON: int64 as a decimal string, bytes as base64 text. */
    public static JsonNode toCleanJson(JsonNode value) {
        if (value.isIntegralNumber()) {
            return TextNode.valueOf(Long.toString(checkedLong(value)));
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            if (Double.isNaN(d)) {
                return TextNode.valueOf("NaN");
            }
            if (Double.isInfinite(d)) {
                return TextNode.valueOf(d > 0 ? "Infinity" : "-Infinity");
            }
            return DoubleNode.valueOf(d);
        }
        if (value.isBinary()) {
            return TextNode.valueOf(binary(value));
        }
        if (value.isArray()) {
            ArrayNode out = NODES.arrayNode(value.size());
            value.forEach(element -> out.add(toCleanJson(element)));
            return out;
        }
        if (value.isObject()) {
            return mapObject(value, ConvexValues::toCleanJson);
        }
        return value;
    }

    /** Single-table JSON/JSONL/CSV imports: numbers become float64, nothing else is decoded. */
    public static JsonNode fromInferred(JsonNode json) {
        if (json == null || json.isNull() || json.isMissingNode()) {
            return NODES.nullNode();
        }
        if (json.isNumber()) {
            return DoubleNode.valueOf(json.doubleValue());
        }
        if (json.isArray()) {
            ArrayNode out = NODES.arrayNode(json.size());
            json.forEach(element -> out.add(fromInferred(element)));
            return out;
        }
        if (json.isObject()) {
            return mapObject(json, ConvexValues::fromInferred);
        }
        return json;
    }

    /** Converts a value to the given {@code format} name (docs/convex-wire.md §1.3). */
    public static JsonNode toFormat(JsonNode value, String format) {
        return switch (format) {
            case "convex_encoded_json", "convex_json" -> toEncoded(value);
            case "json", "convex_clean_json" -> toCleanJson(value);
            case "export_json" -> toExportJson(value);
            default -> throw new InvalidValueException("format param must be one of [`json`]. Got " + format);
        };
    }

    // ---- serialization ------------------------------------------------------------------

    /** Serializes JSON the way serde_json does: floats keep a decimal point, integers do not. */
    public static String write(JsonNode json) {
        StringWriter out = new StringWriter();
        try (JsonGenerator gen = MAPPER.getFactory().createGenerator(out)) {
            write(gen, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    public static void write(JsonGenerator gen, JsonNode json) throws IOException {
        switch (json.getNodeType()) {
            case OBJECT -> {
                gen.writeStartObject();
                for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    gen.writeFieldName(field.getKey());
                    write(gen, field.getValue());
                }
                gen.writeEndObject();
            }
            case ARRAY -> {
                gen.writeStartArray();
                for (JsonNode element : json) {
                    write(gen, element);
                }
                gen.writeEndArray();
            }
            case NUMBER -> {
                if (json.isIntegralNumber()) {
                    gen.writeNumber(json.bigIntegerValue());
                } else {
                    gen.writeNumber(formatDouble(json.doubleValue()));
                }
            }
            case BINARY -> gen.writeString(binary(json));
            default -> gen.writeTree(json);
        }
    }

    public static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new InvalidValueException("Invalid JSON: " + e.getMessage());
        }
    }

    /**
     * Formats a finite double as serde_json (ryu) does: shortest digits, {@code 5.0} for integral
     * values, decimal notation for magnitudes 1e-5..1e16, exponent form {@code 1e20} outside.
     */
    public static String formatDouble(double value) {
        if (!Double.isFinite(value)) {
            throw new InvalidValueException("non-finite float64 needs $float encoding: " + value);
        }
        if (value == 0) {
            return isNegativeZero(value) ? "-0.0" : "0.0";
        }
        BigDecimal decimal = new BigDecimal(Double.toString(Math.abs(value))).stripTrailingZeros();
        String digits = decimal.unscaledValue().toString();
        int length = digits.length();
        int exponent = -decimal.scale();
        int kk = length + exponent;
        StringBuilder out = new StringBuilder(24);
        if (value < 0) {
            out.append('-');
        }
        if (exponent >= 0 && kk <= 16) {
            out.append(digits).append("0".repeat(exponent)).append(".0");
        } else if (kk > 0 && kk <= 16) {
            out.append(digits, 0, kk).append('.').append(digits, kk, length);
        } else if (kk > -5 && kk <= 0) {
            out.append("0.").append("0".repeat(-kk)).append(digits);
        } else if (length == 1) {
            out.append(digits).append('e').append(kk - 1);
        } else {
            out.append(digits.charAt(0)).append('.').append(digits, 1, length).append('e').append(kk - 1);
        }
        return out.toString();
    }

    // ---- helpers ------------------------------------------------------------------------

    private static JsonNode decodeSpecialObject(JsonNode json) {
        if (json.size() != 1) {
            rejectDollarKeys(json);
            return null;
        }
        String key = json.fieldNames().next();
        JsonNode payload = json.get(key);
        switch (key) {
            case "$integer" -> {
                byte[] raw = base64(payload, key);
                if (raw.length != 8) {
                    throw new InvalidValueException("Received invalid $integer: expected 8 bytes, got " + raw.length);
                }
                return LongNode.valueOf(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong());
            }
            case "$float" -> {
                byte[] raw = base64(payload, key);
                if (raw.length != 8) {
                    throw new InvalidValueException("Received invalid $float: expected 8 bytes, got " + raw.length);
                }
                return DoubleNode.valueOf(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getDouble());
            }
            case "$bytes" -> {
                return BinaryNode.valueOf(base64(payload, key));
            }
            default -> {
                rejectDollarKeys(json);
                return null;
            }
        }
    }

    private static void rejectDollarKeys(JsonNode json) {
        for (Iterator<String> it = json.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.startsWith("$")) {
                throw new InvalidValueException("Field name " + name + " starts with a '$', which is reserved.");
            }
        }
    }

    private static byte[] base64(JsonNode payload, String key) {
        if (!payload.isTextual()) {
            throw new InvalidValueException(key + " must be a base64 string");
        }
        try {
            return Base64.getDecoder().decode(payload.textValue());
        } catch (IllegalArgumentException e) {
            throw new InvalidValueException(key + " is not valid base64: " + e.getMessage());
        }
    }

    private static ObjectNode special(String key, String payload) {
        ObjectNode node = NODES.objectNode();
        node.put(key, payload);
        return node;
    }

    private static ObjectNode special(String key, byte[] payload) {
        return special(key, Base64.getEncoder().encodeToString(payload));
    }

    private static String binary(JsonNode node) {
        try {
            return Base64.getEncoder().encodeToString(node.binaryValue());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long checkedLong(JsonNode node) {
        if (!node.canConvertToLong()) {
            throw new InvalidValueException("int64 out of range: " + node.asText());
        }
        return node.longValue();
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] doubleBytes(double value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putDouble(value).array();
    }

    private static boolean isNegativeZero(double d) {
        return d == 0 && Double.doubleToRawLongBits(d) != 0;
    }

    private static List<String> sortedNames(JsonNode json) {
        List<String> names = new ArrayList<>(json.size());
        json.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        return names;
    }

    /** Rebuilds an object with its fields sorted, as Convex's BTreeMap-backed objects are. */
    private static ObjectNode mapObject(JsonNode json, java.util.function.UnaryOperator<JsonNode> mapper) {
        TreeMap<String, JsonNode> sorted = new TreeMap<>();
        json.fields().forEachRemaining(field -> sorted.put(field.getKey(), mapper.apply(field.getValue())));
        ObjectNode out = NODES.objectNode();
        sorted.forEach(out::set);
        return out;
    }
}
