import { v } from "convex/values";
import { internalQuery } from "./_generated/server";

/**
 * The contract version this folder implements: dev.convexpipeline.convex.ConvexContract.VERSION.
 * Raise both together whenever a function, argument, result or error code of
 * docs/convex-contract.md changes; the pipeline refuses a deployment with another version.
 */
export const CONTRACT_VERSION = 1;

/** Every function of the contract, in the order docs/convex-contract.md lists them. */
export const CONTRACT_FUNCTIONS = [
  "pipeline:contract",
  "users:list",
  "users:getByAuthSubject",
  "users:getByStripeCustomerId",
  "users:upsert",
  "users:linkStripeCustomer",
  "entitlements:listByUser",
  "entitlements:getBySubscription",
  "ops:tableCounts",
  "stripe:applyEvent",
  "stripe:applyPendingForCustomer",
  "stripe:getEvent",
  "stripe:listEvents",
  "stripe:pruneEvents",
  "reconcile:getState",
  "reconcile:begin",
  "reconcile:readPage",
  "reconcile:knownEvents",
  "reconcile:applyPage",
  "reconcile:listUnseen",
  "reconcile:finish",
  "reconcile:pruneSeen",
  "housekeeping:pruneExpiredChallenges",
] as const;

export const contract = internalQuery({
  args: {},
  returns: v.object({ version: v.float64(), functions: v.array(v.string()) }),
  handler: async () => {
    return { version: CONTRACT_VERSION, functions: [...CONTRACT_FUNCTIONS] };
  },
});
