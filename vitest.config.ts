import { defineConfig } from "vitest/config";

// convex-test runs the functions in Convex's edge-like runtime; it must be inlined to see convex/.
export default defineConfig({
  test: {
    environment: "edge-runtime",
    include: ["src/test/contract/**/*.test.ts"],
    server: { deps: { inline: ["convex-test"] } },
  },
});
