import { v } from "convex/values";
import { internalQuery } from "./_generated/server";
import { APPLICATION_TABLES } from "./model/documents";

/**
 * Document counts of the contract's tables. Convex has no count operator, so this reads every
 * document: it stays within a query's read limit only while the tables are modest (the pipeline
 * prunes stripe_events and the challenge tables in batches to keep them so).
 */
export const tableCounts = internalQuery({
  args: {},
  returns: v.record(v.string(), v.int64()),
  handler: async (ctx) => {
    const counts: Record<string, bigint> = {};
    for (const table of APPLICATION_TABLES) {
      let count = 0n;
      for await (const _doc of ctx.db.query(table)) {
        count++;
      }
      counts[table] = count;
    }
    return counts;
  },
});
