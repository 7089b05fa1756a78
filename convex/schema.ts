import { defineSchema } from "convex/server";
import { pipelineTables } from "./model/tables";

/** The pipeline's tables (model/tables.ts); merge them into an existing schema with a spread. */
export default defineSchema({
  ...pipelineTables,
});
