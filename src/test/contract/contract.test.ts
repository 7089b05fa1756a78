/**
 * Runs the contract's test vectors (src/test/contract/vectors/*.json, format in README.md there)
 * against the TypeScript functions in convex/ with convex-test. The JUnit ContractVectorsTest runs
 * the same files against the Java emulator (or any deployment).
 */
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { APPLICATION_TABLES } from "../../../convex/model/documents";
import schema from "../../../convex/schema";

const modules = import.meta.glob("../../../convex/**/*.ts");
const VECTORS = join(__dirname, "vectors");
const TABLES = APPLICATION_TABLES;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Bindings = Map<string, string>;

interface Call {
  query?: string;
  mutation?: string;
  args?: Record<string, Json>;
  result?: Json;
  bind?: string;
  error?: Record<string, Json>;
  errorMessage?: string;
}

interface Vector {
  name: string;
  tables?: Record<string, Record<string, Json>[]>;
  calls: Call[];
  expectTables: Record<string, Json[]>;
}

/** Vector notation → Convex values: {"$int64": "5"} → 5n, {"$ref": "name"} → the ID bound to name. */
function toConvex(value: Json, bindings: Bindings): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => toConvex(item, bindings));
  }
  if (value !== null && typeof value === "object") {
    if (typeof value.$int64 === "string") {
      return BigInt(value.$int64);
    }
    if (typeof value.$ref === "string") {
      return bound(bindings, value.$ref);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toConvex(item, bindings)]));
  }
  return value;
}

/** Convex values → vector notation, for comparing and printing. */
function fromConvex(value: unknown): Json {
  if (typeof value === "bigint") {
    return { $int64: value.toString() };
  }
  if (Array.isArray(value)) {
    return value.map(fromConvex);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromConvex(item)]));
  }
  return value as Json;
}

function bound(bindings: Bindings, name: string): string {
  const id = bindings.get(name);
  if (id === undefined) {
    throw new Error(`vector refers to "${name}" before binding it`);
  }
  return id;
}

/**
 * Mismatches between an expected value (with matchers) and an actual one. Matchers:
 * {"$any": "number"|"string"}, {"$ref": name}, {"$format": "text {name}"}, {"$unordered": [...]}.
 * An expected object must name every field of the actual one, except _id/_creationTime.
 */
function mismatches(expected: Json, actual: Json, bindings: Bindings, path = "$"): string[] {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    if (typeof expected.$any === "string") {
      return typeof actual === expected.$any ? [] : [`${path}: expected any ${expected.$any}, got ${show(actual)}`];
    }
    if (typeof expected.$ref === "string") {
      return actual === bound(bindings, expected.$ref)
        ? []
        : [`${path}: expected ID of ${expected.$ref}, got ${show(actual)}`];
    }
    if (typeof expected.$format === "string") {
      const text = expected.$format.replace(/\{(\w+)\}/g, (_all, name: string) => bound(bindings, name));
      return actual === text ? [] : [`${path}: expected ${show(text)}, got ${show(actual)}`];
    }
    if (Array.isArray(expected.$unordered)) {
      return unorderedMismatches(expected.$unordered, actual, bindings, path);
    }
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return [`${path}: expected an object, got ${show(actual)}`];
    }
    const problems: string[] = [];
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(key in expected)) {
        if (key !== "_id" && key !== "_creationTime") {
          problems.push(`${path}.${key}: unexpected field (${show(actual[key])})`);
        }
      } else if (!(key in actual)) {
        problems.push(`${path}.${key}: missing`);
      } else {
        problems.push(...mismatches(expected[key], actual[key], bindings, `${path}.${key}`));
      }
    }
    return problems;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${path}: expected ${expected.length} item(s), got ${show(actual)}`];
    }
    return expected.flatMap((item, i) => mismatches(item, actual[i], bindings, `${path}[${i}]`));
  }
  return JSON.stringify(expected) === JSON.stringify(actual)
    ? []
    : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

function unorderedMismatches(expected: Json[], actual: Json, bindings: Bindings, path: string): string[] {
  if (!Array.isArray(actual) || actual.length !== expected.length) {
    return [`${path}: expected ${expected.length} item(s) in any order, got ${show(actual)}`];
  }
  const left = [...actual];
  for (const item of expected) {
    const at = left.findIndex((candidate) => mismatches(item, candidate, bindings).length === 0);
    if (at < 0) {
      return [`${path}: no item matches ${show(item)} among ${show(left)}`];
    }
    left.splice(at, 1);
  }
  return [];
}

function show(value: unknown): string {
  return JSON.stringify(value);
}

async function runVector(vector: Vector) {
  const t = convexTest(schema, modules);
  const bindings: Bindings = new Map();
  for (const [table, docs] of Object.entries(vector.tables ?? {})) {
    for (const { $name, ...fields } of docs) {
      const id = await t.run(async (ctx) => await ctx.db.insert(table as never, toConvex(fields, bindings) as never));
      if (typeof $name === "string") {
        bindings.set($name, id);
      }
    }
  }
  for (const [index, call] of vector.calls.entries()) {
    const where = `call ${index + 1} (${call.query ?? call.mutation})`;
    const args = toConvex(call.args ?? {}, bindings) as Record<string, unknown>;
    let value: Json;
    try {
      value = fromConvex(
        call.query !== undefined
          ? await t.query(makeFunctionReference<"query">(call.query), args)
          : await t.mutation(makeFunctionReference<"mutation">(call.mutation!), args),
      );
    } catch (error) {
      if (call.error !== undefined && error instanceof ConvexError) {
        const data = typeof error.data === "string" ? JSON.parse(error.data) : error.data;
        expect(mismatches(call.error, fromConvex(data), bindings), `${where}: errorData`).toEqual([]);
        continue;
      }
      if (call.errorMessage !== undefined && !(error instanceof ConvexError)) {
        expect(String((error as Error).message), `${where}: error message`).toContain(call.errorMessage);
        continue;
      }
      throw new Error(`${where} failed unexpectedly: ${(error as Error).message}`, { cause: error });
    }
    expect(
      call.error ?? call.errorMessage,
      `${where} succeeded with ${show(value)} but an error was expected`,
    ).toBeUndefined();
    if (call.bind !== undefined) {
      bindings.set(call.bind, value as string);
    }
    if ("result" in call) {
      expect(mismatches(call.result!, value, bindings), `${where}: result`).toEqual([]);
    }
  }
  for (const table of TABLES) {
    const docs = fromConvex(await t.run(async (ctx) => await ctx.db.query(table).collect()));
    expect(
      unorderedMismatches(vector.expectTables[table] ?? [], docs, bindings, table),
      `final contents of ${table}`,
    ).toEqual([]);
  }
}

const files = readdirSync(VECTORS)
  .filter((file) => file.endsWith(".json"))
  .sort();

describe("contract vectors on the TypeScript functions (convex-test)", () => {
  test("the vectors directory is not empty", () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    const vector = JSON.parse(readFileSync(join(VECTORS, file), "utf8")) as Vector;
    test(`${file}: ${vector.name}`, async () => {
      await runVector(vector);
    });
  }
});
