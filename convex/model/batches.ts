import type { GenericId } from "convex/values";
import type { DatabaseWriter } from "../_generated/server";

/** Batch sizes the contract accepts: 1..1000, as the emulator enforces. */
export function checkLimit(limit: number): number {
  const whole = Math.trunc(limit);
  if (whole < 1 || whole > 1000) {
    throw new Error(`limit must be between 1 and 1000, got ${whole}`);
  }
  return whole;
}

/**
 * Deletes one batch of a pruning mutation. `candidates` holds up to limit + 1 rows, oldest first:
 * the extra one only tells whether more remain after this batch.
 */
export async function deleteBatch(
  db: DatabaseWriter,
  candidates: { _id: GenericId<any> }[],
  limit: number,
): Promise<{ deleted: bigint; hasMore: boolean }> {
  const batch = candidates.slice(0, limit);
  for (const row of batch) {
    await db.delete(row._id);
  }
  return { deleted: BigInt(batch.length), hasMore: candidates.length > batch.length };
}
