import { ConvexError, v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { checkLimit, deleteBatch } from "./model/batches";
import { pruneResultValidator } from "./model/validators";

const CHALLENGE_TABLES = ["auth_challenges", "evm_challenges"] as const;
type ChallengeTable = (typeof CHALLENGE_TABLES)[number];

/**
 * Deletes expired sign-in challenges in bounded batches, oldest first. `table` is a plain string
 * so an unknown table is the contract's INVALID_TABLE error rather than an argument error.
 */
export const pruneExpiredChallenges = internalMutation({
  args: { table: v.string(), expiredBefore: v.float64(), limit: v.float64() },
  returns: pruneResultValidator,
  handler: async (ctx, args) => {
    if (!(CHALLENGE_TABLES as readonly string[]).includes(args.table)) {
      throw new ConvexError({ code: "INVALID_TABLE", table: args.table });
    }
    const table = args.table as ChallengeTable;
    const limit = checkLimit(args.limit);
    const old = await ctx.db
      .query(table)
      .withIndex("by_expiresAt", (q) => q.lt("expiresAt", args.expiredBefore))
      .take(limit + 1);
    return await deleteBatch(ctx.db, old, limit);
  },
});
