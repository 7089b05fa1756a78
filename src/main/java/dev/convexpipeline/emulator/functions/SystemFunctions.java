package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Comparator;
import java.util.List;

/** The {@code _system/cli/*} queries the official CLI subscribes to (docs/convex-wire.md §2.3, §3.4). */
public final class SystemFunctions {
    public static final String EXPORTS_TABLE = "_exports";
    public static final String SNAPSHOT_IMPORTS_TABLE = "_snapshot_imports";
    private static final int IMPORT_LIST_LIMIT = 20;

    private SystemFunctions() {
    }

    public static void registerAll(FunctionRegistry registry) {
        registry.query("_system/cli/exports:getLatest", (ctx, args) -> newestFirst(ctx.db().query(EXPORTS_TABLE)).stream()
                .filter(doc -> "snapshotExport".equals(doc.path("requestor").textValue()))
                .findFirst().<JsonNode>map(doc -> doc).orElse(NullNode.getInstance()));
        registry.query("_system/cli/queryImport:list", (ctx, args) -> {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            newestFirst(ctx.db().query(SNAPSHOT_IMPORTS_TABLE)).stream().limit(IMPORT_LIST_LIMIT).forEach(out::add);
            return out;
        });
        registry.query("_system/cli/queryImport", (ctx, args) -> {
            JsonNode importId = args.get("importId");
            if (importId == null || !importId.isTextual()) {
                throw new ArgumentValidationError("Object is missing the required field `importId`.");
            }
            ObjectNode doc = ctx.db().get(importId.textValue());
            return doc == null ? NullNode.getInstance() : doc;
        });
    }

    private static List<ObjectNode> newestFirst(List<ObjectNode> docs) {
        return docs.stream()
                .sorted(Comparator.comparingDouble((ObjectNode doc) -> doc.path("_creationTime").doubleValue()).reversed())
                .toList();
    }
}
