import { v } from "convex/values";
import schema from "../schema";

type TableName = keyof typeof schema.tables;

/** The return validator of a whole document of `table`: its schema fields plus the system fields. */
export function documentValidator<T extends TableName>(table: T) {
  return v.object({
    ...schema.tables[table].validator.fields,
    _id: v.id(table),
    _creationTime: v.float64(),
  });
}

/** The contract's application tables, in the order ops:tableCounts reports them. */
export const APPLICATION_TABLES = [
  "users",
  "entitlements",
  "stripe_events",
  "stripe_reconcile_state",
  "stripe_reconcile_seen",
  "auth_challenges",
  "admin_nonces",
  "evm_links",
  "evm_challenges",
] as const satisfies readonly TableName[];
