import type { Doc, Id } from "../_generated/dataModel";
import type { DatabaseReader, DatabaseWriter } from "../_generated/server";
import type { Effect, SubscriptionEffect } from "./validators";

/**
 * The effect of Stripe events on users and entitlements (docs/convex-contract.md, stripe:applyEvent),
 * shared by stripe.ts and reconcile.ts so a reconcile correction obeys the webhook's watermark.
 */

/** Statuses that end a subscription: within one second they win over any other state. */
const TERMINAL = new Set(["canceled", "incomplete_expired"]);
const UNMAPPED = "unmapped";

export type Outcome = "applied" | "stale" | "ignored" | "unmatched" | "failed";

export interface Result {
  outcome: Outcome;
  reason: string | null;
  /** Needs an operator: failed, unmatched, or applied with tier "unmapped". */
  attention: boolean;
}

function result(outcome: Outcome, reason: string | null): Result {
  return { outcome, reason, attention: outcome === "unmatched" || outcome === "failed" };
}

export async function userByCustomer(db: DatabaseReader, customer: string): Promise<Doc<"users"> | null> {
  return await db
    .query("users")
    .withIndex("by_stripeCustomerId", (q) => q.eq("stripeCustomerId", customer))
    .first();
}

export async function entitlementBySubscription(
  db: DatabaseReader,
  subscriptionId: string,
): Promise<Doc<"entitlements"> | null> {
  return await db
    .query("entitlements")
    .withIndex("by_stripeSubscriptionId", (q) => q.eq("stripeSubscriptionId", subscriptionId))
    .first();
}

export async function findEvent(db: DatabaseReader, eventId: string): Promise<Doc<"stripe_events"> | null> {
  return await db
    .query("stripe_events")
    .withIndex("by_eventId", (q) => q.eq("eventId", eventId))
    .first();
}

export async function applyEffect(
  db: DatabaseWriter,
  effect: Effect,
  created: bigint,
  eventId: string,
): Promise<Result> {
  switch (effect.kind) {
    case "subscription":
      return await applySubscription(db, effect, created, eventId);
    case "invoice":
      return await applyInvoice(
        db,
        effect.stripeCustomerId,
        effect.stripeSubscriptionId,
        effect.paid,
        created,
        eventId,
      );
    case "checkout":
      return await applyCheckout(db, effect.stripeCustomerId, effect.clientReferenceId, eventId);
    case "customerDeleted":
      return await applyCustomerDeleted(db, effect.stripeCustomerId, created, eventId);
    case "ignore":
      return result("ignored", effect.reason);
    case "fail":
      return result("failed", effect.reason);
  }
}

export async function applySubscription(
  db: DatabaseWriter,
  effect: SubscriptionEffect,
  created: bigint,
  eventId: string,
): Promise<Result> {
  const sub = effect.subscription;
  const user = await userByCustomer(db, sub.stripeCustomerId);
  if (user === null) {
    return result("unmatched", `no user linked to customer ${sub.stripeCustomerId}`);
  }
  const entitlement = await entitlementBySubscription(db, sub.stripeSubscriptionId);
  if (entitlement !== null && isOlder(created, sub.status, eventId, entitlement)) {
    return result("stale", staleReason(sub.stripeSubscriptionId, entitlement));
  }
  const fields = {
    userId: user._id,
    tier: sub.tier,
    status: sub.status,
    stripeSubscriptionId: sub.stripeSubscriptionId,
    stripeCustomerId: sub.stripeCustomerId,
    cancelAtPeriodEnd: sub.cancelAtPeriodEnd,
    lastEventId: eventId,
    updatedAt: Date.now(),
    currentPeriodEnd: sub.currentPeriodEnd,
    lastEventCreated: created,
  };
  if (entitlement !== null) {
    await db.patch(entitlement._id, fields);
  } else {
    await db.insert("entitlements", fields);
  }
  const reason = effect.unmappedPrices.length === 0 ? null : `unmapped price(s): ${effect.unmappedPrices.join(", ")}`;
  return { outcome: "applied", reason, attention: sub.tier === UNMAPPED };
}

async function applyInvoice(
  db: DatabaseWriter,
  customer: string,
  subscriptionId: string | null,
  paid: boolean,
  created: bigint,
  eventId: string,
): Promise<Result> {
  if ((await userByCustomer(db, customer)) === null) {
    return result("unmatched", `no user linked to customer ${customer}`);
  }
  const entitlement = subscriptionId === null ? null : await entitlementBySubscription(db, subscriptionId);
  if (entitlement === null) {
    return result("ignored", `no entitlement for ${subscriptionId} yet; its subscription event sets it`);
  }
  const current = entitlement.status;
  const next = paid
    ? ["incomplete", "past_due", "unpaid"].includes(current)
      ? "active"
      : current
    : current === "active"
      ? "past_due"
      : current;
  if (isOlder(created, next, eventId, entitlement)) {
    return result("stale", staleReason(entitlement.stripeSubscriptionId, entitlement));
  }
  if (next === current) {
    return result("applied", `no change: ${entitlement.stripeSubscriptionId} is ${current}`);
  }
  await db.patch(entitlement._id, {
    status: next,
    lastEventId: eventId,
    updatedAt: Date.now(),
    lastEventCreated: created,
  });
  return result("applied", null);
}

async function applyCheckout(
  db: DatabaseWriter,
  customer: string,
  reference: string | null,
  eventId: string,
): Promise<Result> {
  const user = await userByIdOrSubject(db, reference);
  if (user === null) {
    return result("failed", `no user with id or auth subject ${reference} (client_reference_id)`);
  }
  const holder = await userByCustomer(db, customer);
  if (holder !== null && holder._id !== user._id) {
    return result("failed", `customer ${customer} is linked to another user ${holder._id}`);
  }
  if (user.stripeCustomerId !== null && user.stripeCustomerId !== customer) {
    return result("failed", `user ${user._id} is already linked to customer ${user.stripeCustomerId}`);
  }
  if (holder === null) {
    await db.patch(user._id, { stripeCustomerId: customer });
  }
  const applied = await applyPending(db, customer, eventId);
  return result(
    "applied",
    `linked customer ${customer} to user ${user._id}` + (applied > 0 ? `; applied ${applied} pending event(s)` : ""),
  );
}

async function applyCustomerDeleted(
  db: DatabaseWriter,
  customer: string,
  created: bigint,
  eventId: string,
): Promise<Result> {
  let canceled = 0;
  const entitlements = await db
    .query("entitlements")
    .withIndex("by_stripeCustomerId", (q) => q.eq("stripeCustomerId", customer))
    .collect();
  for (const entitlement of entitlements) {
    if (!isOlder(created, "canceled", eventId, entitlement)) {
      await db.patch(entitlement._id, {
        status: "canceled",
        cancelAtPeriodEnd: false,
        lastEventId: eventId,
        updatedAt: Date.now(),
        lastEventCreated: created,
      });
      canceled++;
    }
  }
  const user = await userByCustomer(db, customer);
  if (user !== null) {
    await db.patch(user._id, { stripeCustomerId: null });
  }
  if (user === null && canceled === 0) {
    return result("ignored", `customer ${customer} is not linked to any user`);
  }
  return result(
    "applied",
    `canceled ${canceled} entitlement(s)` + (user !== null ? `; unlinked user ${user._id}` : ""),
  );
}

/**
 * Applies the events recorded as unmatched for `customer`, oldest first, now that a user is
 * linked to it; each keeps its own watermark, so the newest state wins whatever the order.
 */
export async function applyPending(
  db: DatabaseWriter,
  customer: string,
  linkingEventId: string | null,
): Promise<number> {
  if ((await userByCustomer(db, customer)) === null) {
    return 0;
  }
  const rows = await db
    .query("stripe_events")
    .withIndex("by_stripeCustomerId_outcome", (q) => q.eq("stripeCustomerId", customer).eq("outcome", "unmatched"))
    .collect();
  const pending = rows
    .filter((row) => row.pendingEffect !== null)
    .sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : compareStrings(a.eventId, b.eventId)));
  for (const row of pending) {
    const outcome = await applyEffect(db, row.pendingEffect!, row.created, row.eventId);
    const why =
      `applied when customer ${customer} was linked` + (linkingEventId === null ? "" : ` by ${linkingEventId}`);
    await db.patch(row._id, {
      outcome: outcome.outcome,
      attention: outcome.attention,
      processedAt: Date.now(),
      reason: outcome.reason === null ? why : `${why}: ${outcome.reason}`,
      pendingEffect: null,
      ...(outcome.attention ? {} : { payload: null }),
    });
  }
  return pending.length;
}

/** client_reference_id is a users ID (a get) or an auth subject (by_authSubject). */
async function userByIdOrSubject(db: DatabaseReader, reference: string | null): Promise<Doc<"users"> | null> {
  if (reference === null) {
    return null;
  }
  const id = db.normalizeId("users", reference);
  if (id !== null) {
    const user = await db.get(id);
    if (user !== null) {
      return user;
    }
  }
  return await db
    .query("users")
    .withIndex("by_authSubject", (q) => q.eq("authSubject", reference))
    .first();
}

/**
 * True when an event (created, resulting status, id) is older than the state the entitlement
 * holds. Stripe's `created` has one-second resolution, so ties are broken by the status's rank
 * (incomplete before live states before terminal ones) and then by event id, the same on every
 * instance so concurrent deliveries in any order converge. Equal keys (a re-apply) are not older.
 */
export function isOlder(created: bigint, status: string, eventId: string, entitlement: Doc<"entitlements">): boolean {
  if (created !== entitlement.lastEventCreated) {
    return created < entitlement.lastEventCreated;
  }
  const byRank = rank(status) - rank(entitlement.status);
  if (byRank !== 0) {
    return byRank < 0;
  }
  return compareStrings(eventId, entitlement.lastEventId ?? "") < 0;
}

function rank(status: string): number {
  if (TERMINAL.has(status)) {
    return 2;
  }
  return status === "incomplete" ? 0 : 1;
}

/** Code-unit order, as Java's String.compareTo: localeCompare would differ on case and punctuation. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function staleReason(subscriptionId: string, entitlement: Doc<"entitlements">): string {
  return `${subscriptionId} already reflects newer event ${entitlement.lastEventId} (created ${entitlement.lastEventCreated})`;
}

export function customerOf(effect: Effect): string | null {
  if (effect.kind === "subscription") {
    return effect.subscription.stripeCustomerId;
  }
  return "stripeCustomerId" in effect ? effect.stripeCustomerId : null;
}

export function subscriptionOf(effect: Effect): string | null {
  if (effect.kind === "subscription") {
    return effect.subscription.stripeSubscriptionId;
  }
  return "stripeSubscriptionId" in effect ? effect.stripeSubscriptionId : null;
}

export type UserId = Id<"users">;
