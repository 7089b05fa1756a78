package dev.convexpipeline.emulator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.functions.CliSystemFunctions;
import dev.convexpipeline.emulator.store.DocumentStore;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The CLI verbs beyond export/import: environment variables (stored like the backend stores them,
 * in {@code _environment_variables}, so a {@code --data-dir} keeps them), and an immediate, clear
 * refusal for what the emulator cannot do. An unknown route answers 404, which the CLI retries for
 * about 37 s; these answer at once with a status the CLI does not retry.
 */
final class CliRoutes {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Environment variable rules of common/types/environment_variables.rs and the ENV_VAR_LIMIT knob. */
    private static final Pattern ENV_VAR_NAME = Pattern.compile("[a-zA-Z_]+[a-zA-Z0-9_]*");
    private static final int MAX_ENV_VAR_NAME_LENGTH = 256;
    private static final int MAX_ENV_VAR_VALUE_BYTES = 8 * 1024;
    private static final int MAX_ENV_VARS = 512;

    static final String DEPLOY_MESSAGE = "The Convex emulator does not take code pushes: it serves its own built-in"
            + " functions (the pipeline's contract), so `convex deploy` and `convex dev` have nothing to update."
            + " Deploy the convex/ functions to a real Convex backend; against the emulator, call its functions"
            + " directly (`convex run <module>:<function>`).";
    static final String INLINE_QUERY_MESSAGE = "The Convex emulator cannot run JavaScript, so `convex run --inline-query`"
            + " is not available. Call one of its functions by name (`convex run` lists them) or read a table with"
            + " `convex data <table>`.";
    static final String LOGS_MESSAGE = "The Convex emulator has no function log stream, so `convex logs` cannot"
            + " follow it. Each call's log lines come back in that call's response (`convex run` prints them), and"
            + " the emulator writes its own log to standard error.";

    private final DocumentStore store;
    private final AdminKeys adminKeys;

    CliRoutes(DocumentStore store, AdminKeys adminKeys) {
        this.store = store;
        this.adminKeys = adminKeys;
    }

    void register(Router router, BodyHandler json, java.util.function.BiConsumer<io.vertx.ext.web.Route, Handler<RoutingContext>> blocking) {
        blocking.accept(router.post("/api/update_environment_variables").handler(json), this::updateEnvironmentVariables);
        for (String path : List.of("/api/get_config_hashes", "/api/push_config", "/api/prepare_schema",
                "/api/deploy2/start_push", "/api/deploy2/evaluate_push", "/api/deploy2/evaluate_schema",
                "/api/deploy2/wait_for_schema", "/api/deploy2/finish_push", "/api/deploy2/report_push_completed")) {
            blocking.accept(router.post(path), ctx -> refuse(ctx, 501, "DeployNotSupported", DEPLOY_MESSAGE));
        }
        blocking.accept(router.post("/api/run_test_function"),
                ctx -> refuse(ctx, 501, "InlineQueryNotSupported", INLINE_QUERY_MESSAGE));
        // The CLI retries every other failure of this GET for ever; 403 is the one answer it stops at.
        blocking.accept(router.get("/api/stream_function_logs"), ctx -> refuse(ctx, 403, "LogsNotSupported", LOGS_MESSAGE));
    }

    private void refuse(RoutingContext ctx, int status, String code, String message) {
        requireAdmin(ctx);
        EmulatorRoutes.error(ctx, new ApiException(status, code, message));
    }

    /** {@code {"changes":[{"name","value"|null}]}}: all checked first, then applied in one commit. */
    private void updateEnvironmentVariables(RoutingContext ctx) {
        requireAdmin(ctx);
        ObjectNode body = JsonBodies.object(ctx);
        JsonNode changes = JsonBodies.required(body, "changes");
        if (!changes.isArray()) {
            throw JsonBodies.deserializeError("changes: invalid type, expected a sequence", ConvexValues.write(body));
        }
        Map<String, String> updates = new LinkedHashMap<>();
        for (JsonNode change : changes) {
            if (!change.path("name").isTextual() || !(change.path("value").isTextual() || change.path("value").isNull()
                    || change.path("value").isMissingNode())) {
                throw JsonBodies.deserializeError("changes: invalid type, expected struct UpdateEnvVarRequest",
                        ConvexValues.write(body));
            }
            String name = change.get("name").textValue();
            checkName(name);
            String value = change.path("value").isTextual() ? change.get("value").textValue() : null;
            if (value != null) {
                int bytes = value.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > MAX_ENV_VAR_VALUE_BYTES) {
                    throw ApiException.badRequest("EnvironmentVariableValueTooLarge", "The environment variable value is "
                            + bytes + " bytes, which is too large. (max size: " + MAX_ENV_VAR_VALUE_BYTES);
                }
            }
            updates.put(name, value);
        }
        store.write(tx -> {
            Map<String, ObjectNode> existing = new LinkedHashMap<>();
            tx.query(CliSystemFunctions.ENVIRONMENT_VARIABLES_TABLE).forEach(doc -> existing.put(doc.path("name").asText(), doc));
            List<String> added = new ArrayList<>();
            updates.forEach((name, value) -> {
                ObjectNode current = existing.get(name);
                if (value == null) {
                    if (current != null) {
                        tx.delete(current.get("_id").textValue());
                    }
                } else if (current != null) {
                    tx.replace(current.get("_id").textValue(), NODES.objectNode().put("name", name).put("value", value));
                } else {
                    added.add(name);
                    tx.insert(CliSystemFunctions.ENVIRONMENT_VARIABLES_TABLE, NODES.objectNode().put("name", name).put("value", value));
                }
            });
            if (!added.isEmpty() && tx.count(CliSystemFunctions.ENVIRONMENT_VARIABLES_TABLE) > MAX_ENV_VARS) {
                throw ApiException.badRequest("EnvVarLimitMet", "The environment variable limit (" + MAX_ENV_VARS
                        + ") has been met.");
            }
            return null;
        });
        ctx.response().setStatusCode(200).end();
    }

    private static void checkName(String name) {
        if (!ENV_VAR_NAME.matcher(name).matches()) {
            throw ApiException.badRequest("EnvironmentVariableNameInvalid", "The environment variable name " + name
                    + " is invalid. Environment variable names must begin with a letter and may only include"
                    + " characters a-z, A-Z, 0-9, and underscores.");
        }
        if (name.length() > MAX_ENV_VAR_NAME_LENGTH) {
            throw ApiException.badRequest("EnvironmentVariableNameTooLong", "The environment variable name " + name
                    + " is too long. Environment variable names must be less than " + MAX_ENV_VAR_NAME_LENGTH + ".");
        }
    }

    private void requireAdmin(RoutingContext ctx) {
        AdminKeys.requireAdmin(adminKeys.authenticate(AdminKeys.extract(ctx.request().getHeader("Authorization"),
                ctx.request().getParam("adminKey"))));
    }
}
