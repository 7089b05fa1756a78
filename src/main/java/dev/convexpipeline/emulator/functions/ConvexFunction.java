package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** A function body: arguments (decoded Convex values) in, a Convex value out. */
@FunctionalInterface
public interface ConvexFunction {
    JsonNode run(FunctionContext context, ObjectNode args);
}
