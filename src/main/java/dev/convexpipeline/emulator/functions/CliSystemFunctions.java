package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.convexpipeline.emulator.store.Transaction;

import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The system queries behind {@code convex data}, {@code env list|get}, {@code function-spec} and
 * the function list {@code convex run} prints for an unknown name. They return what the backend's
 * {@code _system/cli/*} modules return (npm-packages/system-udfs), read from the emulator's store
 * and function registry.
 */
public final class CliSystemFunctions {
    /** Where environment variables live, as on a real deployment; the journal persists them. */
    public static final String ENVIRONMENT_VARIABLES_TABLE = "_environment_variables";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CliSystemFunctions() {
    }

    public static void registerAll(FunctionRegistry registry, Supplier<String> deploymentUrl) {
        registry.query("_system/cli/tables", (ctx, args) -> {
            ArrayNode page = NODES.arrayNode();
            ctx.db().tableNames().stream().filter(name -> !name.startsWith("_")).sorted()
                    .forEach(name -> page.add(NODES.objectNode().put("name", name)));
            return paginationResult(page, true, "end");
        });
        registry.query("_system/cli/tableData", CliSystemFunctions::tableData);
        registry.query("_system/cli/queryEnvironmentVariables", (ctx, args) -> {
            ArrayNode variables = NODES.arrayNode();
            ctx.db().query(ENVIRONMENT_VARIABLES_TABLE).stream()
                    .sorted(Comparator.comparing((ObjectNode doc) -> doc.path("name").asText()))
                    .forEach(variables::add);
            return variables;
        });
        registry.query("_system/cli/queryEnvironmentVariables:get", (ctx, args) -> {
            String name = Args.requiredString(args, "name");
            return ctx.db().query(ENVIRONMENT_VARIABLES_TABLE).stream()
                    .filter(doc -> name.equals(doc.path("name").asText())).findFirst()
                    .<JsonNode>map(doc -> NODES.objectNode().put("name", name).put("value", doc.path("value").asText()))
                    .orElse(NullNode.getInstance());
        });
        registry.query("_system/cli/modules:apiSpec", (ctx, args) -> {
            ArrayNode functions = NODES.arrayNode();
            registry.all().stream().filter(function -> !function.path().isSystem())
                    .sorted(Comparator.comparing(function -> function.path().canonical()))
                    .forEach(function -> {
                        ObjectNode spec = functions.addObject();
                        spec.put("identifier", function.path().canonical());
                        spec.put("functionType", function.kind().displayName());
                        spec.putObject("visibility").put("kind", function.internal() ? "internal" : "public");
                        // The emulator's functions are Java and declare no validators: "any", as the backend defaults.
                        spec.putObject("args").put("type", "any");
                        spec.putObject("returns").put("type", "any");
                    });
            return functions;
        });
        registry.query("_system/cli/convexUrl:cloudUrl", (ctx, args) -> TextNode.valueOf(deploymentUrl.get()));
    }

    /**
     * One page of a table by creation time ({@code order} "asc" or "desc"). The cursor is the
     * last returned document's {@code _creationTime}, which is unique within a deployment.
     */
    private static JsonNode tableData(FunctionContext ctx, ObjectNode args) {
        String table = Args.requiredString(args, "table");
        String order = Args.requiredString(args, "order");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: .order\nValue: \"" + order
                    + "\"\nValidator: v.union(v.literal(\"asc\"), v.literal(\"desc\"))");
        }
        JsonNode pagination = args.path("paginationOpts");
        int numItems = Math.max(1, (int) Math.min(pagination.path("numItems").asDouble(100), 8192));
        JsonNode cursor = pagination.path("cursor");
        Comparator<ObjectNode> byCreation = Comparator.comparingDouble(
                doc -> doc.path(Transaction.CREATION_TIME_FIELD).asDouble());
        List<ObjectNode> documents = ctx.db().query(table).stream()
                .sorted(order.equals("asc") ? byCreation : byCreation.reversed()).toList();
        int start = 0;
        if (cursor.isTextual() && !cursor.textValue().equals("end")) {
            double after = Double.parseDouble(cursor.textValue());
            while (start < documents.size() && !isPast(documents.get(start), after, order)) {
                start++;
            }
        } else if (cursor.isTextual()) {
            start = documents.size();
        }
        int end = Math.min(documents.size(), start + numItems);
        ArrayNode page = NODES.arrayNode();
        documents.subList(start, end).forEach(page::add);
        boolean done = end >= documents.size();
        String next = done ? "end"
                : Double.toString(documents.get(end - 1).path(Transaction.CREATION_TIME_FIELD).asDouble());
        return paginationResult(page, done, next);
    }

    private static boolean isPast(ObjectNode doc, double cursor, String order) {
        double creation = doc.path(Transaction.CREATION_TIME_FIELD).asDouble();
        return order.equals("asc") ? creation > cursor : creation < cursor;
    }

    private static ObjectNode paginationResult(ArrayNode page, boolean isDone, String continueCursor) {
        ObjectNode result = NODES.objectNode();
        result.set("page", page);
        result.put("isDone", isDone);
        result.put("continueCursor", continueCursor);
        return result;
    }
}
