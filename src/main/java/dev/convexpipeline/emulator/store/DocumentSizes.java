package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Iterator;
import java.util.Map;

/** Rough value sizes in the spirit of Convex's {@code ConvexValue::size}, used to order export tables. */
final class DocumentSizes {
    private DocumentSizes() {
    }

    static long of(JsonNode value) {
        if (value == null || value.isNull()) {
            return 1;
        }
        if (value.isBoolean()) {
            return 1;
        }
        if (value.isNumber()) {
            return 9;
        }
        if (value.isTextual()) {
            return 2L + value.textValue().length();
        }
        if (value.isBinary()) {
            try {
                return 2L + value.binaryValue().length;
            } catch (java.io.IOException e) {
                return 2;
            }
        }
        long size = 2;
        if (value.isArray()) {
            for (JsonNode element : value) {
                size += of(element);
            }
            return size;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            size += field.getKey().length() + 1 + of(field.getValue());
        }
        return size;
    }
}
