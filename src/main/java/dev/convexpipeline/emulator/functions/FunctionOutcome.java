package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** What a function call produced; both variants are HTTP 200 bodies (docs/convex-wire.md §1.4). */
public sealed interface FunctionOutcome {
    List<String> logLines();

    record Success(JsonNode value, List<String> logLines) implements FunctionOutcome {
    }

    /** {@code errorData} is null unless a {@link ConvexError} was thrown. */
    record Failure(String errorMessage, JsonNode errorData, List<String> logLines) implements FunctionOutcome {
    }

    /**
     * A call addressed to a component: the emulator has none, and answering from the app's own
     * tables would pass the app's data off as the component's.
     */
    static FunctionOutcome componentNotFound(String componentPath) {
        return new Failure("Component '" + componentPath + "' not found: the Convex emulator has no components."
                + " Run the command without --component.", null, List.of());
    }
}
