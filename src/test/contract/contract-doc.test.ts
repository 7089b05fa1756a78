/**
 * docs/convex-contract.md, convex/ and the pipeline's ConvexContract name the same functions: every
 * function heading is exported, as an internal function of the stated kind, by the module of the
 * same name, and pipeline:contract lists exactly the headings, in order.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CONTRACT_FUNCTIONS, CONTRACT_VERSION } from "../../../convex/pipeline";

const ROOT = join(__dirname, "..", "..", "..");
const doc = readFileSync(join(ROOT, "docs", "convex-contract.md"), "utf8");
const headings = [...doc.matchAll(/^### `([a-z]+):([A-Za-z]+)` \((query|mutation)\)$/gm)].map(
  ([, module, name, kind]) => ({
    module,
    name,
    kind,
  }),
);
const modules = import.meta.glob("../../../convex/*.ts");

describe("docs/convex-contract.md and convex/", () => {
  test("the document has function headings", () => {
    expect(headings.length).toBeGreaterThan(20);
  });

  test("pipeline:contract lists every heading, in the document's order", () => {
    expect([...CONTRACT_FUNCTIONS]).toEqual(headings.map(({ module, name }) => `${module}:${name}`));
  });

  test("the contract version is the one the document and the Java pipeline state", () => {
    expect(doc).toContain(`**Contract version: ${CONTRACT_VERSION}**`);
    const java = readFileSync(join(ROOT, "src/main/java/dev/convexpipeline/convex/ConvexContract.java"), "utf8");
    expect(java).toMatch(new RegExp(`long VERSION = ${CONTRACT_VERSION};`));
  });

  for (const { module, name, kind } of headings) {
    test(`${module}:${name} is an internal ${kind} exported by convex/${module}.ts`, async () => {
      const load = modules[`../../../convex/${module}.ts`];
      expect(load, `convex/${module}.ts exists`).toBeDefined();
      const exported = ((await load()) as Record<string, Record<string, unknown>>)[name];
      expect(exported, `convex/${module}.ts exports ${name}`).toBeDefined();
      expect(exported[kind === "query" ? "isQuery" : "isMutation"]).toBe(true);
      expect(exported.isInternal).toBe(true);
    });
  }
});
