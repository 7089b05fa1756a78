import { ConvexError, v } from "convex/values";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, internalQuery, type DatabaseReader } from "./_generated/server";
import { documentValidator } from "./model/documents";
import { applySubscription, entitlementBySubscription, findEvent, userByCustomer } from "./model/events";
import { checkLimit, deleteBatch } from "./model/batches";
import { pruneResultValidator, reportValidator, subscriptionEffectValidator } from "./model/validators";

/**
 * Stripe reconcile (docs/convex-contract.md). One state row (key "subscriptions") holds the run,
 * its owner, phase, cursor and report; corrections go through the webhook's applySubscription, so
 * a reconcile write obeys the same watermark. begin and finish are safe to retry after a lost
 * reply: a replay by the same caller returns what the first call returned.
 */

const KEY = "subscriptions";
const TERMINAL = new Set(["canceled", "incomplete_expired"]);
const stateDocument = documentValidator("stripe_reconcile_state");
const entitlementDocument = documentValidator("entitlements");

async function state(db: DatabaseReader): Promise<Doc<"stripe_reconcile_state"> | null> {
  return await db
    .query("stripe_reconcile_state")
    .withIndex("by_key", (q) => q.eq("key", KEY))
    .first();
}

export const getState = internalQuery({
  args: {},
  returns: v.union(stateDocument, v.null()),
  handler: async (ctx) => await state(ctx.db),
});

export const begin = internalMutation({
  args: { runId: v.string(), owner: v.string(), now: v.float64(), leaseMs: v.float64() },
  returns: v.object({ ...stateDocument.fields, resumed: v.boolean() }),
  handler: async (ctx, args) => {
    const existing = await state(ctx.db);
    if (existing !== null && existing.status === "running") {
      // A retry after a lost reply: this owner already holds the run it asked for (a new run keeps
      // the caller's runId; a take-over keeps the old runId but was stamped with this call's `now`).
      if (existing.owner === args.owner && (existing.runId === args.runId || existing.heartbeatAt === args.now)) {
        return { ...existing, resumed: existing.runId !== args.runId };
      }
      if (args.now - existing.heartbeatAt < args.leaseMs) {
        throw new ConvexError({
          code: "RECONCILE_RUNNING",
          runId: existing.runId,
          owner: existing.owner,
          startedAt: existing.startedAt,
          heartbeatAt: existing.heartbeatAt,
          message: `reconcile run ${existing.runId} is running on ${existing.owner}`,
        });
      }
      // Its owner stopped checking in: it was killed. Take the run over where it stopped.
      await ctx.db.patch(existing._id, { owner: args.owner, heartbeatAt: args.now });
      return { ...(await ctx.db.get(existing._id))!, resumed: true };
    }
    const fields = {
      key: KEY,
      runId: args.runId,
      owner: args.owner,
      status: "running" as const,
      phase: "events",
      startedAt: args.now,
      heartbeatAt: args.now,
      cursor: null,
      finishedAt: null,
      report: null,
      error: null,
    };
    if (existing !== null) {
      await ctx.db.patch(existing._id, fields);
    } else {
      await ctx.db.insert("stripe_reconcile_state", {
        ...fields,
        lastCompletedRunId: null,
        lastCompletedStartedAt: null,
        lastCompletedReport: null,
      });
    }
    return { ...(await state(ctx.db))!, resumed: false };
  },
});

export const readPage = internalQuery({
  args: { stripeSubscriptionIds: v.array(v.string()), stripeCustomerIds: v.array(v.string()) },
  returns: v.object({
    entitlements: v.array(entitlementDocument),
    linkedCustomers: v.array(v.string()),
    customersWithPendingEvents: v.array(v.string()),
  }),
  handler: async (ctx, args) => {
    const entitlements = [];
    for (const id of new Set(args.stripeSubscriptionIds)) {
      const entitlement = await entitlementBySubscription(ctx.db, id);
      if (entitlement !== null) {
        entitlements.push(entitlement);
      }
    }
    const linkedCustomers = [];
    const customersWithPendingEvents = [];
    for (const customer of new Set(args.stripeCustomerIds)) {
      if ((await userByCustomer(ctx.db, customer)) === null) {
        continue;
      }
      linkedCustomers.push(customer);
      const pending = await ctx.db
        .query("stripe_events")
        .withIndex("by_stripeCustomerId_outcome", (q) => q.eq("stripeCustomerId", customer).eq("outcome", "unmatched"))
        .first();
      if (pending !== null) {
        customersWithPendingEvents.push(customer);
      }
    }
    return { entitlements, linkedCustomers, customersWithPendingEvents };
  },
});

export const knownEvents = internalQuery({
  args: { eventIds: v.array(v.string()) },
  returns: v.array(v.string()),
  handler: async (ctx, args) => {
    const known = [];
    for (const eventId of new Set(args.eventIds)) {
      if ((await findEvent(ctx.db, eventId)) !== null) {
        known.push(eventId);
      }
    }
    return known;
  },
});

/** The running state row, if runId/owner still hold it; otherwise RECONCILE_NOT_OWNER. */
async function owned(db: DatabaseReader, runId: string, owner: string) {
  const current = await state(db);
  if (current === null || current.status !== "running" || current.runId !== runId || current.owner !== owner) {
    throw notOwner(runId, owner);
  }
  return current;
}

function notOwner(runId: string, owner: string) {
  return new ConvexError({
    code: "RECONCILE_NOT_OWNER",
    runId,
    owner,
    message: `reconcile run ${runId} is no longer held by ${owner} (taken over after its lease expired, or already finished)`,
  });
}

export const applyPage = internalMutation({
  args: {
    runId: v.string(),
    owner: v.string(),
    now: v.float64(),
    phase: v.string(),
    cursor: v.union(v.string(), v.null()),
    seen: v.array(v.string()),
    corrections: v.array(
      v.object({
        effect: subscriptionEffectValidator,
        created: v.int64(),
        counter: v.union(v.literal("created"), v.literal("updated"), v.literal("revoked")),
      }),
    ),
    report: v.union(reportValidator, v.null()),
  },
  returns: v.object({
    results: v.array(
      v.object({ stripeSubscriptionId: v.string(), outcome: v.string(), reason: v.union(v.string(), v.null()) }),
    ),
  }),
  handler: async (ctx, args) => {
    const current = await owned(ctx.db, args.runId, args.owner);
    const runId = current.runId!;
    // The stored report counts this page's outcomes too, so a run resumed after this commit counts it once.
    const report: Record<string, unknown> | null = args.report === null ? null : { ...args.report };
    const results = [];
    for (const correction of args.corrections) {
      const result = await applySubscription(ctx.db, correction.effect, correction.created, `reconcile:${runId}`);
      results.push({
        stripeSubscriptionId: correction.effect.subscription.stripeSubscriptionId,
        outcome: result.outcome,
        reason: result.reason,
      });
      const counter =
        result.outcome === "applied"
          ? correction.counter
          : result.outcome === "stale"
            ? "skippedNewer"
            : result.outcome === "unmatched"
              ? "unmatched"
              : "errors";
      if (report !== null) {
        report[counter] = (typeof report[counter] === "number" ? (report[counter] as number) : 0) + 1;
      }
    }
    for (const id of new Set(args.seen)) {
      const already = await ctx.db
        .query("stripe_reconcile_seen")
        .withIndex("by_runId_stripeSubscriptionId", (q) => q.eq("runId", runId).eq("stripeSubscriptionId", id))
        .first();
      if (already === null) {
        await ctx.db.insert("stripe_reconcile_seen", { runId, stripeSubscriptionId: id });
      }
    }
    await ctx.db.patch(current._id, { heartbeatAt: args.now, phase: args.phase, cursor: args.cursor, report });
    return { results };
  },
});

export const listUnseen = internalQuery({
  args: { runId: v.union(v.string(), v.null()), after: v.union(v.string(), v.null()), limit: v.float64() },
  returns: v.object({ entitlements: v.array(entitlementDocument), next: v.union(v.string(), v.null()) }),
  handler: async (ctx, args) => {
    const limit = checkLimit(args.limit);
    const after = args.after ?? "";
    const page: Doc<"entitlements">[] = [];
    let more = false;
    const candidates = ctx.db
      .query("entitlements")
      .withIndex("by_stripeSubscriptionId", (q) => q.gt("stripeSubscriptionId", after))
      .order("asc");
    for await (const entitlement of candidates) {
      if (TERMINAL.has(entitlement.status)) {
        continue;
      }
      if (args.runId !== null) {
        const runId = args.runId;
        const seen = await ctx.db
          .query("stripe_reconcile_seen")
          .withIndex("by_runId_stripeSubscriptionId", (q) =>
            q.eq("runId", runId).eq("stripeSubscriptionId", entitlement.stripeSubscriptionId),
          )
          .first();
        if (seen !== null) {
          continue;
        }
      }
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(entitlement);
    }
    return { entitlements: page, next: more ? page[page.length - 1].stripeSubscriptionId : null };
  },
});

export const finish = internalMutation({
  args: {
    runId: v.string(),
    owner: v.string(),
    now: v.float64(),
    status: v.union(v.literal("completed"), v.literal("failed")),
    report: v.union(reportValidator, v.null()),
    error: v.union(v.string(), v.null()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const current = await state(ctx.db);
    if (current !== null && isFinishReplay(current, args)) {
      // A retry after a lost reply: the run already ended as this call asked; nothing to write.
      return null;
    }
    const running = await owned(ctx.db, args.runId, args.owner);
    await ctx.db.patch(running._id, {
      status: args.status,
      finishedAt: args.now,
      heartbeatAt: args.now,
      report: args.report,
      error: args.error,
      cursor: null,
      ...(args.status === "completed"
        ? {
            lastCompletedRunId: running.runId,
            lastCompletedStartedAt: running.startedAt,
            lastCompletedReport: args.report,
          }
        : {}),
    });
    return null;
  },
});

/**
 * The run this finish names already ended with this status: still the state's run (same owner),
 * or, once completed, the last completed run after another run has begun since.
 */
function isFinishReplay(
  current: Doc<"stripe_reconcile_state">,
  args: { runId: string; owner: string; status: "completed" | "failed" },
): boolean {
  const endedHere = current.status === args.status && current.runId === args.runId && current.owner === args.owner;
  const completedEarlier =
    args.status === "completed" && current.runId !== args.runId && current.lastCompletedRunId === args.runId;
  return endedHere || completedEarlier;
}

export const pruneSeen = internalMutation({
  args: { limit: v.float64() },
  returns: pruneResultValidator,
  handler: async (ctx, args) => {
    const limit = Math.trunc(args.limit);
    const current = await state(ctx.db);
    const running = current !== null && current.status === "running" ? current.runId : null;
    const stale: Doc<"stripe_reconcile_seen">[] = [];
    for await (const row of ctx.db.query("stripe_reconcile_seen")) {
      if (row.runId !== running) {
        stale.push(row);
        if (stale.length > limit) {
          break;
        }
      }
    }
    return await deleteBatch(ctx.db, stale, limit);
  },
});
