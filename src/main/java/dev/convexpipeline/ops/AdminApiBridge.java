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
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.component.platform.http.main.ManagementHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Serves {@code /admin/*} on the management server from the declarations in routes/admin.camel.yaml:
 * every route of group {@value #GROUP} declares {@code "METHOD /admin/path"} in its description and is
 * mounted as one Vert.x route on the management router, behind the bearer-token check. A declared path
 * asked with another method is answered 405 with the declared methods in Allow, anything else 404.
 * Camel's platform-http binds its consumers to the public server's router, hence this bridge
 * (docs/camel-notes.md, "Admin API on the management port").
 */
public final class AdminApiBridge {
    /** The route group whose routes are admin operations. */
    public static final String GROUP = "admin-api";
    private static final Logger LOG = LoggerFactory.getLogger(AdminApiBridge.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_BODY_BYTES = 1024 * 1024;
    /** Routing-context key of the authenticated caller, for the audit line. */
    private static final String ACTOR = "admin.actor";
    private static final Pattern DECLARATION = Pattern.compile("(GET|POST|PUT|PATCH|DELETE) (/admin/[^\\s]*)");

    /** One declared operation: the route answering {@code method path}. */
    record Operation(HttpMethod method, String path, Pattern pathPattern, String endpointUri) {
        boolean matchesPath(String requestPath) {
            return pathPattern.matcher(requestPath).matches();
        }
    }

    private final CamelContext camelContext;
    private final AdminToken token;
    private final int maxAuthFailuresPerMinute;
    // Failed authentications per client address over the last minute: guessing the token is throttled.
    private final Cache<String, AtomicInteger> authFailures = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofMinutes(1)).maximumSize(100_000).build();
    private List<Operation> operations = List.of();
    private ProducerTemplate template;

    public AdminApiBridge(CamelContext camelContext, AdminToken token, int maxAuthFailuresPerMinute) {
        this.camelContext = camelContext;
        this.token = token;
        this.maxAuthFailuresPerMinute = maxAuthFailuresPerMinute;
    }

    /** Mounts the declared operations; called once Camel has started (the management server and the routes exist). */
    public void mount() {
        ManagementHttpServer server = camelContext.hasService(ManagementHttpServer.class);
        if (server == null) {
            LOG.warn("Management server is disabled (camel.management.enabled=false): the admin API is not served");
            return;
        }
        operations = declaredOperations(camelContext);
        // One template for every request, stopped with Camel.
        template = camelContext.createProducerTemplate();
        try {
            camelContext.addService(template, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("could not register the admin API's producer template with Camel", e);
        }
        Router router = server.getRouter();
        router.route("/admin/*").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES));
        router.route("/admin/*").handler(this::authenticate);
        for (Operation operation : operations) {
            router.route(operation.method(), operation.path()).blockingHandler(request -> dispatch(request, operation), false);
        }
        router.route("/admin/*").handler(this::undeclared);
        LOG.info("Admin API mounted on the management port: {} operations under /admin ({})", operations.size(),
                token.isEnabled() ? "bearer token required" : "disabled: ADMIN_TOKEN is not set");
    }

    /** The operations routes/admin.camel.yaml declares; a malformed or repeated declaration stops the start. */
    static List<Operation> declaredOperations(CamelContext camelContext) {
        List<Operation> declared = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Route route : camelContext.getRoutes()) {
            if (!GROUP.equals(route.getGroup())) {
                continue;
            }
            String description = route.getDescription() == null ? "" : route.getDescription().trim();
            Matcher declaration = DECLARATION.matcher(description);
            if (!declaration.matches()) {
                throw new IllegalStateException("admin route " + route.getRouteId() + " must declare \"METHOD /admin/path\""
                        + " in its description, not \"" + description + "\"");
            }
            if (!seen.add(declaration.group(1) + " " + declaration.group(2))) {
                throw new IllegalStateException("admin route " + route.getRouteId() + " declares " + description
                        + ", which another admin route already answers");
            }
            String path = declaration.group(2);
            Pattern pathPattern = Pattern.compile(Arrays.stream(path.split("/", -1))
                    .map(segment -> segment.startsWith(":") ? "[^/]+" : Pattern.quote(segment))
                    .collect(Collectors.joining("/")) + "/?");
            declared.add(new Operation(HttpMethod.valueOf(declaration.group(1)), path, pathPattern,
                    route.getEndpoint().getEndpointUri()));
        }
        return List.copyOf(declared);
    }

    private void authenticate(RoutingContext request) {
        if (!token.isEnabled()) {
            reply(request, 404, error("The admin API is disabled: set ADMIN_TOKEN to enable it"));
            return;
        }
        String client = request.request().remoteAddress() == null ? "unknown" : request.request().remoteAddress().host();
        String authorization = request.request().getHeader(HttpHeaders.AUTHORIZATION);
        AtomicInteger failures = authFailures.getIfPresent(client);
        if (failures != null && failures.get() >= maxAuthFailuresPerMinute) {
            request.response().putHeader("Retry-After", "60");
            reply(request, 429, error("Too many failed authentications from " + client + ": try again in a minute"));
            return;
        }
        String actor = "token " + Audit.fingerprint(bearer(authorization)) + " from " + client;
        if (!token.matchesAuthorizationHeader(authorization)) {
            authFailures.get(client, key -> new AtomicInteger()).incrementAndGet();
            audit(request, "401 unauthenticated", actor);
            request.response().putHeader("WWW-Authenticate", "Bearer");
            reply(request, 401, error("Missing or wrong bearer token: send Authorization: Bearer <ADMIN_TOKEN>"));
            return;
        }
        request.put(ACTOR, actor);
        request.next();
    }

    private void dispatch(RoutingContext request, Operation operation) {
        Exchange exchange = template.request(operation.endpointUri(), e -> {
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
            audit(request, status + " " + OperatorMessages.describe(failure), request.get(ACTOR));
            reply(request, status, error(OperatorMessages.describe(failure)));
            return;
        }
        Integer status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        audit(request, String.valueOf(status == null ? 200 : status), request.get(ACTOR));
        reply(request, status == null ? 200 : status, exchange.getMessage().getBody());
    }

    /** No declared operation answered: 405 naming the declared methods when the path is declared, else 404. */
    private void undeclared(RoutingContext request) {
        String path = request.normalizedPath();
        String method = request.request().method().name();
        String allowed = operations.stream().filter(operation -> operation.matchesPath(path))
                .map(operation -> operation.method().name()).distinct().sorted().collect(Collectors.joining(", "));
        if (allowed.isEmpty()) {
            audit(request, "404", request.get(ACTOR));
            reply(request, 404, error("No admin endpoint " + method + " " + path));
            return;
        }
        audit(request, "405", request.get(ACTOR));
        request.response().putHeader("Allow", allowed);
        reply(request, 405, error(path + " takes " + allowed + ", not " + method));
    }

    private static void audit(RoutingContext request, String outcome, String actor) {
        Audit.record(request.request().method().name() + " " + request.normalizedPath(), request.request().query(),
                outcome, actor);
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
