package dev.convexpipeline.ops;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.convexpipeline.Audit;
import dev.convexpipeline.JsonOutput;
import dev.convexpipeline.SettingMissingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.OperatorMessages;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Mounts {@code /admin/*} on the management server and hands each authenticated request to the
 * {@code direct:admin} route. Camel's platform-http only serves the public port, so the
 * management port's Vert.x router is used directly; the routing itself stays in routes/admin.camel.yaml.
 */
public final class AdminApiBridge {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApiBridge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BODY_BYTES = 1024 * 1024;

    private final CamelContext camelContext;
    private final AdminToken token;
    private final int maxAuthFailuresPerMinute;
    // Failed authentications per client address over the last minute: guessing the token is throttled.
    private final Cache<String, AtomicInteger> authFailures = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(100_000).build();

    public AdminApiBridge(CamelContext camelContext, AdminToken token, int maxAuthFailuresPerMinute) {
        this.camelContext = camelContext;
        this.token = token;
        this.maxAuthFailuresPerMinute = maxAuthFailuresPerMinute;
    }

    /** Registers the handler; called once the management server exists. */
    public void mount() {
        ManagementHttpServer server = camelContext.hasService(ManagementHttpServer.class);
        if (server == null) {
            LOG.warn("Management server is disabled (camel.management.enabled=false): the admin API is not served");
            return;
        }
        server.getRouter().route("/admin/*").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES));
        server.getRouter().route("/admin/*").blockingHandler(this::handle, false);
        LOG.info("Admin API mounted on the management port under /admin ({})",
                token.isEnabled() ? "bearer token required" : "disabled: ADMIN_TOKEN is not set");
    }

    private void handle(RoutingContext request) {
        if (!token.isEnabled()) {
            reply(request, 404, error("The admin API is disabled: set ADMIN_TOKEN to enable it"));
            return;
        }
        String client = request.request().remoteAddress() == null ? "unknown" : request.request().remoteAddress().host();
        String authorization = request.request().getHeader(HttpHeaders.AUTHORIZATION);
        String action = request.request().method().name() + " " + request.normalizedPath();
        String actor = "token " + Audit.fingerprint(bearer(authorization)) + " from " + client;
        AtomicInteger failures = authFailures.getIfPresent(client);
        if (failures != null && failures.get() >= maxAuthFailuresPerMinute) {
            request.response().putHeader("Retry-After", "60");
            reply(request, 429, error("Too many failed authentications from " + client + ": try again in a minute"));
            return;
        }
        if (!token.matchesAuthorizationHeader(authorization)) {
            authFailures.get(client, key -> new AtomicInteger()).incrementAndGet();
            Audit.record(action, request.request().query(), "401 unauthenticated", actor);
            request.response().putHeader("WWW-Authenticate", "Bearer");
            reply(request, 401, error("Missing or wrong bearer token: send Authorization: Bearer <ADMIN_TOKEN>"));
            return;
        }
        ProducerTemplate template = camelContext.createProducerTemplate();
        try {
            Exchange exchange = template.request("direct:admin", e -> {
                e.getMessage().setHeader(Exchange.HTTP_METHOD, request.request().method().name());
                e.getMessage().setHeader(Exchange.HTTP_PATH, request.normalizedPath());
                e.getMessage().setHeader(Exchange.HTTP_QUERY, request.request().query());
                request.queryParams().forEach(p -> e.getMessage().setHeader("query." + p.getKey(), p.getValue()));
                e.getMessage().setBody(request.body() == null ? null : request.body().asString());
            });
            if (exchange.getException() != null) {
                Exception failure = exchange.getException();
                int status = statusFor(failure);
                LOG.warn("Admin request {} {} failed: {}", request.request().method(), request.normalizedPath(),
                        OperatorMessages.describe(failure));
                Audit.record(action, request.request().query(), status + " " + OperatorMessages.describe(failure), actor);
                reply(request, status, error(OperatorMessages.describe(failure)));
                return;
            }
            Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
            Audit.record(action, request.request().query(), String.valueOf(status == null ? 200 : status), actor);
            String allow = exchange.getMessage().getHeader("Allow", String.class);
            if (allow != null) {
                request.response().putHeader("Allow", allow);
            }
            reply(request, status == null ? 200 : status, exchange.getMessage().getBody());
        } finally {
            try {
                template.close();
            } catch (Exception ignored) {
                // Closing a producer template only releases a cache.
            }
        }
    }

    private static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

    /** 400 for bad input, 503 for a missing setting (set it, then retry), 500 for the rest. */
    static int statusFor(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SettingMissingException) {
                return 503;
            }
            if (cause instanceof IllegalArgumentException) {
                return 400;
            }
        }
        return 500;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void reply(RoutingContext request, int status, Object body) {
        String text;
        try {
            text = body == null ? "" : JsonOutput.normalizeBody(body);
        } catch (Exception e) {
            status = 500;
            text = "{\"error\":\"response could not be serialized\"}";
        }
        request.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(text);
    }

}
