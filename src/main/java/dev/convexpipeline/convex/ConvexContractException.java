package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The deployment does not implement the contract this pipeline speaks (docs/convex-contract.md):
 * its functions were never deployed, or another release's were. Writing to it would fail on every
 * call (or, worse, half-succeed), so readiness reports this with the command that fixes it.
 */
public final class ConvexContractException extends ConvexException {
    private static final String NOT_DEPLOYED = "the pipeline's Convex functions (contract version "
            + ConvexContract.VERSION + ") are not deployed there. Deploy them from the project directory with `"
            + ConvexContract.DEPLOY_COMMAND + "` (README, Deploying the Convex functions)";

    private ConvexContractException(String message) {
        super(message);
    }

    /** The deployment answered that the function does not exist (never deployed, or renamed since). */
    public static boolean isMissingFunction(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof ConvexFunctionException e) {
                return e.isMissingFunction();
            }
        }
        return false;
    }

    /** What to tell an operator when {@code function} is missing from the deployment. */
    public static String missingFunctionReason(String function) {
        return "the deployment has no " + function + " function: " + NOT_DEPLOYED;
    }

    /**
     * Calls {@code pipeline:contract} and returns normally when the deployment answers this build's
     * {@link ConvexContract#VERSION}; otherwise throws with what is wrong and how to fix it.
     */
    public static void requireContract(ConvexClient client) {
        JsonNode contract;
        try {
            contract = client.query(ConvexContract.CONTRACT_FUNCTION, JsonNodeFactory.instance.objectNode());
        } catch (ConvexFunctionException e) {
            if (e.isMissingFunction()) {
                throw new ConvexContractException(missingFunctionReason(ConvexContract.CONTRACT_FUNCTION));
            }
            throw e;
        }
        JsonNode version = contract.path("version");
        if (!version.isNumber() || version.asDouble() != ConvexContract.VERSION) {
            throw new ConvexContractException("the deployment implements contract version "
                    + (version.isNumber() ? String.valueOf(version.asLong()) : "(none)") + " but this pipeline needs version "
                    + ConvexContract.VERSION + ": deploy this release's convex folder with `"
                    + ConvexContract.DEPLOY_COMMAND + "` (README, Deploying the Convex functions)");
        }
    }
}
