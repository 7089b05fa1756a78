import { ConvexError, v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { documentValidator } from "./model/documents";

const userDocument = documentValidator("users");

export const list = internalQuery({
  args: {},
  returns: v.array(userDocument),
  handler: async (ctx) => {
    // Oldest first: the default order of a table read is _creationTime ascending.
    return await ctx.db.query("users").collect();
  },
});

export const getByAuthSubject = internalQuery({
  args: { authSubject: v.string() },
  returns: v.union(userDocument, v.null()),
  handler: async (ctx, args) => {
    return await ctx.db
      .query("users")
      .withIndex("by_authSubject", (q) => q.eq("authSubject", args.authSubject))
      .first();
  },
});

export const getByStripeCustomerId = internalQuery({
  args: { stripeCustomerId: v.string() },
  returns: v.union(userDocument, v.null()),
  handler: async (ctx, args) => {
    return await ctx.db
      .query("users")
      .withIndex("by_stripeCustomerId", (q) => q.eq("stripeCustomerId", args.stripeCustomerId))
      .first();
  },
});

export const upsert = internalMutation({
  args: {
    authSubject: v.string(),
    publicKey: v.optional(v.union(v.string(), v.null())),
    email: v.optional(v.union(v.string(), v.null())),
  },
  returns: v.id("users"),
  handler: async (ctx, args) => {
    const existing = await ctx.db
      .query("users")
      .withIndex("by_authSubject", (q) => q.eq("authSubject", args.authSubject))
      .first();
    if (existing !== null) {
      const changes: { publicKey?: string | null; email?: string | null } = {};
      if (args.publicKey !== undefined) {
        changes.publicKey = args.publicKey;
      }
      if (args.email !== undefined) {
        changes.email = args.email;
      }
      if (Object.keys(changes).length > 0) {
        await ctx.db.patch(existing._id, changes);
      }
      return existing._id;
    }
    return await ctx.db.insert("users", {
      authSubject: args.authSubject,
      publicKey: args.publicKey ?? null,
      email: args.email ?? null,
      stripeCustomerId: null,
    });
  },
});

/**
 * `userId` is validated as a string and resolved with normalizeId, so an ID of another table or
 * a malformed one is the contract's USER_NOT_FOUND rather than an argument error.
 */
export const linkStripeCustomer = internalMutation({
  args: { userId: v.string(), stripeCustomerId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const id = ctx.db.normalizeId("users", args.userId);
    const user = id === null ? null : await ctx.db.get(id);
    if (id === null || user === null) {
      throw new ConvexError({ code: "USER_NOT_FOUND", userId: args.userId });
    }
    const holder = await ctx.db
      .query("users")
      .withIndex("by_stripeCustomerId", (q) => q.eq("stripeCustomerId", args.stripeCustomerId))
      .collect();
    const other = holder.find((doc) => doc._id !== id);
    if (other !== undefined) {
      throw new ConvexError({ code: "CUSTOMER_LINKED_ELSEWHERE", userId: other._id });
    }
    await ctx.db.patch(id, { stripeCustomerId: args.stripeCustomerId });
    return null;
  },
});
