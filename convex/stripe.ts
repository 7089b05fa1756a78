import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { documentValidator } from "./model/documents";
import { applyEffect, applyPending, customerOf, findEvent, subscriptionOf } from "./model/events";
import { checkLimit, deleteBatch } from "./model/batches";
import { applyResultValidator, effectValidator, pruneResultValidator } from "./model/validators";
import schema from "./schema";

/**
 * Stripe events and entitlements (docs/convex-contract.md). stripe:applyEvent looks the event id
 * up and, in the same transaction, records the event and changes the entitlement: a second
 * delivery, sequential or concurrent, finds the row and has no effect. All internal: the pipeline
 * calls them with the deployment's admin key, no browser client can.
 */

export const applyEvent = internalMutation({
  args: {
    eventId: v.string(),
    type: v.string(),
    created: v.int64(),
    livemode: v.boolean(),
    effect: effectValidator,
    payload: v.optional(v.union(v.string(), v.null())),
    reapply: v.optional(v.boolean()),
  },
  returns: applyResultValidator,
  handler: async (ctx, args) => {
    const reapply = args.reapply ?? false;
    const existing = await findEvent(ctx.db, args.eventId);
    if (existing !== null && !reapply) {
      return { outcome: "duplicate", reason: `first processed as ${existing.outcome}` };
    }
    if (reapply && existing === null) {
      throw new ConvexError({
        code: "EVENT_NOT_FOUND",
        eventId: args.eventId,
        message: `no event ${args.eventId} in stripe_events`,
      });
    }
    if (reapply && existing !== null && !existing.attention) {
      throw new ConvexError({
        code: "EVENT_NOT_REAPPLICABLE",
        eventId: args.eventId,
        outcome: existing.outcome,
        message: `event ${args.eventId} was ${existing.outcome} and needs no re-apply`,
      });
    }
    const result = await applyEffect(ctx.db, args.effect, args.created, args.eventId);
    const row = {
      eventId: args.eventId,
      type: args.type,
      livemode: args.livemode,
      processedAt: Date.now(),
      outcome: result.outcome,
      attention: result.attention,
      created: args.created,
      reason: result.reason,
      stripeCustomerId: customerOf(args.effect),
      stripeSubscriptionId: subscriptionOf(args.effect),
      payload: result.attention && args.payload !== undefined ? args.payload : null,
      pendingEffect: result.outcome === "unmatched" ? args.effect : null,
    };
    if (existing !== null) {
      await ctx.db.replace(existing._id, row);
    } else {
      await ctx.db.insert("stripe_events", row);
    }
    return { outcome: result.outcome, reason: result.reason };
  },
});

export const applyPendingForCustomer = internalMutation({
  args: { stripeCustomerId: v.string() },
  returns: v.object({ applied: v.int64() }),
  handler: async (ctx, args) => {
    return { applied: BigInt(await applyPending(ctx.db, args.stripeCustomerId, null)) };
  },
});

export const getEvent = internalQuery({
  args: { eventId: v.string() },
  returns: v.union(documentValidator("stripe_events"), v.null()),
  handler: async (ctx, args) => {
    return await findEvent(ctx.db, args.eventId);
  },
});

const {
  payload: _payload,
  pendingEffect: _pendingEffect,
  ...listedFields
} = schema.tables.stripe_events.validator.fields;

export const listEvents = internalQuery({
  args: { attentionOnly: v.optional(v.boolean()), limit: v.optional(v.float64()) },
  returns: v.array(
    v.object({ ...listedFields, _id: v.id("stripe_events"), _creationTime: v.float64(), hasPayload: v.boolean() }),
  ),
  handler: async (ctx, args) => {
    const limit = checkLimit(args.limit ?? 100);
    const rows =
      (args.attentionOnly ?? true)
        ? await ctx.db
            .query("stripe_events")
            .withIndex("by_attention_processedAt", (q) => q.eq("attention", true))
            .order("desc")
            .take(limit)
        : await ctx.db.query("stripe_events").withIndex("by_processedAt").order("desc").take(limit);
    // Lists stay small: payloads are read one at a time with stripe:getEvent.
    return rows.map(({ payload, pendingEffect: _effect, ...rest }) => ({ ...rest, hasPayload: payload !== null }));
  },
});

export const pruneEvents = internalMutation({
  args: { processedBefore: v.float64(), limit: v.float64() },
  returns: pruneResultValidator,
  handler: async (ctx, args) => {
    const limit = checkLimit(args.limit);
    // One more than the batch, to know whether more remain.
    const old = await ctx.db
      .query("stripe_events")
      .withIndex("by_processedAt", (q) => q.lt("processedAt", args.processedBefore))
      .take(limit + 1);
    return await deleteBatch(ctx.db, old, limit);
  },
});
