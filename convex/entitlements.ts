import { v } from "convex/values";
import { internalQuery } from "./_generated/server";
import { documentValidator } from "./model/documents";
import { entitlementBySubscription } from "./model/events";

const entitlementDocument = documentValidator("entitlements");

/** `userId` is a string, as in users:linkStripeCustomer: an unknown or foreign ID simply matches nothing. */
export const listByUser = internalQuery({
  args: { userId: v.string() },
  returns: v.array(entitlementDocument),
  handler: async (ctx, args) => {
    const id = ctx.db.normalizeId("users", args.userId);
    if (id === null) {
      return [];
    }
    return await ctx.db
      .query("entitlements")
      .withIndex("by_userId", (q) => q.eq("userId", id))
      .collect();
  },
});

export const getBySubscription = internalQuery({
  args: { stripeSubscriptionId: v.string() },
  returns: v.union(entitlementDocument, v.null()),
  handler: async (ctx, args) => {
    return await entitlementBySubscription(ctx.db, args.stripeSubscriptionId);
  },
});
