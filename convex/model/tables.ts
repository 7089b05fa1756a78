import { defineTable } from "convex/server";
import { v } from "convex/values";
import { effectValidator, reportValidator } from "./validators";

/**
 * The tables of docs/convex-contract.md, with every index the contract's functions read through.
 * A team with its own convex/ folder spreads these into its schema (docs/convex-functions.md, "Adding
 * the modules to an existing convex/ folder"): defineSchema({ ...myTables, ...pipelineTables }).
 */
export const pipelineTables = {
  users: defineTable({
    authSubject: v.string(),
    publicKey: v.union(v.string(), v.null()),
    stripeCustomerId: v.union(v.string(), v.null()),
    email: v.union(v.string(), v.null()),
  })
    .index("by_authSubject", ["authSubject"])
    .index("by_stripeCustomerId", ["stripeCustomerId"]),

  entitlements: defineTable({
    userId: v.id("users"),
    tier: v.string(),
    status: v.string(),
    stripeSubscriptionId: v.string(),
    stripeCustomerId: v.string(),
    currentPeriodEnd: v.union(v.float64(), v.null()),
    cancelAtPeriodEnd: v.boolean(),
    lastEventCreated: v.int64(),
    lastEventId: v.union(v.string(), v.null()),
    updatedAt: v.float64(),
  })
    .index("by_userId", ["userId"])
    .index("by_stripeSubscriptionId", ["stripeSubscriptionId"])
    .index("by_stripeCustomerId", ["stripeCustomerId"]),

  stripe_events: defineTable({
    eventId: v.string(),
    type: v.string(),
    created: v.int64(),
    livemode: v.boolean(),
    processedAt: v.float64(),
    outcome: v.union(
      v.literal("applied"),
      v.literal("stale"),
      v.literal("ignored"),
      v.literal("unmatched"),
      v.literal("failed"),
    ),
    reason: v.union(v.string(), v.null()),
    attention: v.boolean(),
    stripeCustomerId: v.union(v.string(), v.null()),
    stripeSubscriptionId: v.union(v.string(), v.null()),
    payload: v.union(v.string(), v.null()),
    pendingEffect: v.union(effectValidator, v.null()),
  })
    .index("by_eventId", ["eventId"])
    .index("by_processedAt", ["processedAt"])
    .index("by_attention_processedAt", ["attention", "processedAt"])
    .index("by_stripeCustomerId_outcome", ["stripeCustomerId", "outcome"]),

  stripe_reconcile_state: defineTable({
    key: v.string(),
    cursor: v.union(v.string(), v.null()),
    runId: v.union(v.string(), v.null()),
    owner: v.string(),
    status: v.union(v.literal("idle"), v.literal("running"), v.literal("completed"), v.literal("failed")),
    phase: v.string(),
    startedAt: v.union(v.float64(), v.null()),
    heartbeatAt: v.float64(),
    finishedAt: v.union(v.float64(), v.null()),
    report: v.union(reportValidator, v.null()),
    error: v.union(v.string(), v.null()),
    lastCompletedRunId: v.union(v.string(), v.null()),
    lastCompletedStartedAt: v.union(v.float64(), v.null()),
    lastCompletedReport: v.union(reportValidator, v.null()),
  }).index("by_key", ["key"]),

  stripe_reconcile_seen: defineTable({
    runId: v.string(),
    stripeSubscriptionId: v.string(),
  }).index("by_runId_stripeSubscriptionId", ["runId", "stripeSubscriptionId"]),

  auth_challenges: defineTable({
    subject: v.string(),
    challenge: v.string(),
    expiresAt: v.float64(),
  }).index("by_expiresAt", ["expiresAt"]),

  admin_nonces: defineTable({
    nonce: v.string(),
    expiresAt: v.float64(),
  }).index("by_nonce", ["nonce"]),

  evm_links: defineTable({
    userId: v.id("users"),
    address: v.string(),
    linkedAt: v.float64(),
  })
    .index("by_address", ["address"])
    .index("by_userId", ["userId"]),

  evm_challenges: defineTable({
    address: v.string(),
    challenge: v.string(),
    expiresAt: v.float64(),
  }).index("by_expiresAt", ["expiresAt"]),
};
