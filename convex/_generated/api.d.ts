/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as entitlements from "../entitlements.js";
import type * as housekeeping from "../housekeeping.js";
import type * as model_batches from "../model/batches.js";
import type * as model_documents from "../model/documents.js";
import type * as model_events from "../model/events.js";
import type * as model_tables from "../model/tables.js";
import type * as model_validators from "../model/validators.js";
import type * as ops from "../ops.js";
import type * as pipeline from "../pipeline.js";
import type * as reconcile from "../reconcile.js";
import type * as stripe from "../stripe.js";
import type * as users from "../users.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  entitlements: typeof entitlements;
  housekeeping: typeof housekeeping;
  "model/batches": typeof model_batches;
  "model/documents": typeof model_documents;
  "model/events": typeof model_events;
  "model/tables": typeof model_tables;
  "model/validators": typeof model_validators;
  ops: typeof ops;
  pipeline: typeof pipeline;
  reconcile: typeof reconcile;
  stripe: typeof stripe;
  users: typeof users;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
