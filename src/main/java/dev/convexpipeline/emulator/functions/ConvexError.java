package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ConvexValues;

/** The Java counterpart of JS {@code throw new ConvexError(data)}: reaches the caller as {@code errorData}. */
public final class ConvexError extends RuntimeException {
    private final transient JsonNode data;

    public ConvexError(JsonNode data) {
        super(data.isTextual() ? data.textValue() : ConvexValues.write(ConvexValues.toEncoded(data)));
        this.data = data;
    }

    public JsonNode data() {
        return data;
    }
}
