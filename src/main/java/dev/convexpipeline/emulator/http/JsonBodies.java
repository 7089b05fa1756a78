package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;

/**
 * Request bodies checked the way axum's {@code Json} extractor checks them, with its rejection
 * texts (docs/convex-wire.md §7): content type, then syntax, then the expected shape.
 */
final class JsonBodies {
    private JsonBodies() {
    }

    static ObjectNode object(RoutingContext ctx) {
        requireJsonContentType(ctx.request().getHeader("Content-Type"));
        String text = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString();
        JsonNode parsed;
        try {
            parsed = ConvexValues.MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.badJsonBody("Failed to parse the request body as JSON: " + e.getOriginalMessage()
                    + at(e.getLocation() == null ? 1 : e.getLocation().getLineNr(),
                    e.getLocation() == null ? 1 : e.getLocation().getColumnNr()));
        }
        rejectLoneSurrogates(text);
        if (parsed == null || parsed.isMissingNode()) {
            throw ApiException.badJsonBody("Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0");
        }
        if (!parsed.isObject()) {
            throw deserializeError("invalid type: " + describe(parsed) + ", expected a map", text);
        }
        return (ObjectNode) parsed;
    }

    private static final java.util.regex.Pattern SURROGATE_ESCAPE =
            java.util.regex.Pattern.compile("\\\\[uU]([dD][89abAB][0-9a-fA-F]{2})(\\\\[uU][dD][c-fC-F][0-9a-fA-F]{2})?|\\\\[uU][dD][c-fC-F][0-9a-fA-F]{2}");

    /**
     * serde_json refuses a {@code \\u} escape of half a surrogate pair (Rust strings are UTF-8),
     * so the backend answers 400 before anything runs; Jackson would accept it and hand on a
     * string that cannot be stored.
     */
    private static void rejectLoneSurrogates(String text) {
        if (text.indexOf('\\') < 0) {
            return;
        }
        java.util.regex.Matcher escape = SURROGATE_ESCAPE.matcher(text);
        while (escape.find()) {
            if (escape.group(1) != null && escape.group(2) != null) {
                continue; // a proper pair
            }
            // Count backslashes before the match: an escaped backslash makes this plain text.
            int backslashes = 0;
            for (int i = escape.start() - 1; i >= 0 && text.charAt(i) == '\\'; i--) {
                backslashes++;
            }
            if (backslashes % 2 == 1) {
                continue;
            }
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < escape.end(); i++) {
                if (text.charAt(i) == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            String problem = escape.group(1) != null ? "unexpected end of hex escape" : "lone leading surrogate in hex escape";
            throw ApiException.badJsonBody("Failed to parse the request body as JSON: " + problem
                    + at(line, escape.end() - lineStart));
        }
    }

    static void requireJsonContentType(String contentType) {
        if (contentType == null) {
            throw ApiException.badJsonBody("Expected request with `Content-Type: application/json`");
        }
        String mime = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        int slash = mime.indexOf('/');
        boolean json = slash > 0 && mime.substring(0, slash).equals("application")
                && (mime.substring(slash + 1).equals("json") || mime.endsWith("+json"));
        if (!json) {
            throw ApiException.badJsonBody("Expected request with `Content-Type: application/json`");
        }
    }

    static JsonNode required(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null) {
            throw deserializeError("missing field `" + field + "`", ConvexValues.write(body));
        }
        return value;
    }

    static String requiredString(ObjectNode body, String field) {
        JsonNode value = required(body, field);
        if (!value.isTextual()) {
            throw deserializeError("invalid type: " + describe(value) + ", expected a string", ConvexValues.write(body));
        }
        return value.textValue();
    }

    static String optionalString(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw deserializeError("invalid type: " + describe(value) + ", expected a string", ConvexValues.write(body));
        }
        return value.textValue();
    }

    static ApiException deserializeError(String problem, String body) {
        return ApiException.badJsonBody("Failed to deserialize the JSON body into the target type: " + problem
                + at(1, body.length()));
    }

    private static String at(int line, int column) {
        return " at line " + line + " column " + column;
    }

    private static String describe(JsonNode value) {
        if (value.isTextual()) {
            return "string \"" + value.textValue() + "\"";
        }
        if (value.isIntegralNumber()) {
            return "integer `" + value.asText() + "`";
        }
        if (value.isNumber()) {
            return "floating point `" + value.asText() + "`";
        }
        if (value.isBoolean()) {
            return "boolean `" + value.asText() + "`";
        }
        if (value.isArray()) {
            return "sequence";
        }
        if (value.isObject()) {
            return "map";
        }
        return "null";
    }
}
