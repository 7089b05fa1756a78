package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A Convex query, mutation or action ran and failed ({@code "status":"error"}): it threw, its
 * arguments failed validation, or it does not exist. {@link #errorData()} holds the decoded
 * {@code ConvexError} payload the function chose to expose (convex-contract.md lists the codes).
 */
public class ConvexFunctionException extends ConvexException {
    private final String functionPath;
    private final String errorMessage;
    private final JsonNode errorData;

    public ConvexFunctionException(String functionPath, String errorMessage, JsonNode errorData) {
        super("Convex function " + functionPath + " failed: " + errorMessage
                + (errorData == null ? "" : " (errorData " + ConvexValues.write(ConvexValues.toEncoded(errorData)) + ")")
                + (isMissing(errorMessage, errorData) ? " The deployment does not have the pipeline's Convex functions:"
                        + " deploy them with `" + ConvexContract.DEPLOY_COMMAND + "` (README, Deploying the Convex functions)." : ""));
        this.functionPath = functionPath;
        this.errorMessage = errorMessage;
        this.errorData = errorData;
    }

    /** The deployment answered that the function does not exist (never deployed, or renamed since). */
    public boolean isMissingFunction() {
        return isMissing(errorMessage, errorData);
    }

    private static boolean isMissing(String errorMessage, JsonNode errorData) {
        return errorData == null && errorMessage != null && errorMessage.contains("Could not find")
                && errorMessage.contains("function for '");
    }

    public String functionPath() {
        return functionPath;
    }

    /** The server's {@code errorMessage}, including its {@code [Request ID: …]} prefix. */
    public String errorMessage() {
        return errorMessage;
    }

    /** Decoded {@code errorData} (ConvexValues model), or {@code null} when the function threw a plain Error. */
    public JsonNode errorData() {
        return errorData;
    }

    /** {@code errorData.code} when the function threw {@code ConvexError({code: …})}, else {@code null}. */
    public String errorCode() {
        if (errorData != null && errorData.isObject() && errorData.path("code").isTextual()) {
            return errorData.get("code").textValue();
        }
        return null;
    }
}
