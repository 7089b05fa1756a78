package dev.convexpipeline.convex;

import java.util.List;

/**
 * The version of the Convex data contract (docs/convex-contract.md) this build of the pipeline
 * speaks, and the function that reports what a deployment has. A deployment answers
 * {@code pipeline:contract} with {@code {"version": <number>, "functions": [<path>, ...]}}; the
 * pipeline refuses to write to one whose version differs.
 */
public final class ConvexContract {
    /** Raised whenever a function, argument, result or error code of the contract changes. */
    public static final long VERSION = 1;
    /** The query that reports the deployed contract. */
    public static final String CONTRACT_FUNCTION = "pipeline:contract";
    /** Every function of the contract, in the order docs/convex-contract.md lists them. */
    public static final List<String> FUNCTIONS = List.of(
            "pipeline:contract",
            "users:list", "users:getByAuthSubject", "users:getByStripeCustomerId", "users:upsert",
            "users:linkStripeCustomer",
            "entitlements:listByUser", "entitlements:getBySubscription",
            "ops:tableCounts",
            "stripe:applyEvent", "stripe:applyPendingForCustomer", "stripe:getEvent", "stripe:listEvents",
            "stripe:pruneEvents",
            "reconcile:getState", "reconcile:begin", "reconcile:readPage", "reconcile:knownEvents",
            "reconcile:applyPage", "reconcile:listUnseen", "reconcile:finish", "reconcile:pruneSeen",
            "housekeeping:pruneExpiredChallenges");

    /** The command that deploys the contract's functions from the project directory. */
    public static final String DEPLOY_COMMAND = "npx convex deploy";

    private ConvexContract() {
    }
}
