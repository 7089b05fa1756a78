import { v, type Infer } from "convex/values";

/** What a subscription event means for its entitlement (EventEffect.Subscription in the pipeline). */
export const subscriptionEffectValidator = v.object({
  kind: v.literal("subscription"),
  subscription: v.object({
    stripeSubscriptionId: v.string(),
    stripeCustomerId: v.string(),
    status: v.string(),
    tier: v.string(),
    currentPeriodEnd: v.union(v.float64(), v.null()),
    cancelAtPeriodEnd: v.boolean(),
  }),
  unmappedPrices: v.array(v.string()),
});

/** The `effect` argument of stripe:applyEvent: one variant per kind of Stripe event the pipeline acts on. */
export const effectValidator = v.union(
  subscriptionEffectValidator,
  v.object({
    kind: v.literal("invoice"),
    stripeCustomerId: v.string(),
    stripeSubscriptionId: v.union(v.string(), v.null()),
    paid: v.boolean(),
  }),
  v.object({
    kind: v.literal("checkout"),
    stripeCustomerId: v.string(),
    stripeSubscriptionId: v.union(v.string(), v.null()),
    clientReferenceId: v.union(v.string(), v.null()),
  }),
  v.object({ kind: v.literal("customerDeleted"), stripeCustomerId: v.string() }),
  v.object({ kind: v.literal("ignore"), reason: v.union(v.string(), v.null()) }),
  v.object({ kind: v.literal("fail"), reason: v.union(v.string(), v.null()) }),
);

/** A reconcile run's counters and drift list (ReconcileReport.toJson): open-ended, the pipeline owns its keys. */
export const reportValidator = v.record(v.string(), v.any());

export type Effect = Infer<typeof effectValidator>;
export type SubscriptionEffect = Infer<typeof subscriptionEffectValidator>;

/** {"outcome", "reason"}: what stripe:applyEvent did with one event. */
export const applyResultValidator = v.object({ outcome: v.string(), reason: v.union(v.string(), v.null()) });

/** {"deleted", "hasMore"}: one batch of a pruning mutation. */
export const pruneResultValidator = v.object({ deleted: v.int64(), hasMore: v.boolean() });
