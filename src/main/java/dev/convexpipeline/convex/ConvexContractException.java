package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * The deployment does not implement the contract this pipeline speaks (docs/convex-contract.md):
 * its functions were never deployed, or another release's were. Writing to it would fail on every
 * call (or, worse, half-succeed), so readiness reports this with the command that fixes it.
 */
public final class ConvexContractException extends ConvexException {
    private ConvexContractException(String message) {
        super(message);
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
            if (e.errorData() == null && e.errorMessage().contains("Could not find")) {
                throw new ConvexContractException("the deployment has no " + ConvexContract.CONTRACT_FUNCTION
                        + " function: the pipeline's Convex functions (contract version " + ConvexContract.VERSION
                        + ") are not deployed there. Deploy them from the project directory with `"
                        + ConvexContract.DEPLOY_COMMAND + "` (README, Deploying the Convex functions)");
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
