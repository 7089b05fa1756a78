package dev.convexpipeline.ops;

import io.vertx.core.http.HttpHeaders;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Answers an over-limit body on the public port with a short JSON reason. Without a handler Vert.x
 * logs every such request as an ERROR "Unhandled exception in router", which anyone on the internet
 * could use to flood the log.
 */
public final class PublicServerErrors {
    private PublicServerErrors() {
    }

    public static void install(CamelContext camelContext) {
        int port = Integer.parseInt(camelContext.resolvePropertyPlaceholders("{{camel.server.port}}"));
        // The public server's router is registered under a name derived from its port.
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (router == null) {
            router = VertxPlatformHttpRouter.lookup(camelContext);
        }
        if (router == null) {
            return;
        }
        // A failure handler on a catch-all route: Camel mounts this router below the server's own, whose
        // error handlers it does not expose.
        router.route().failureHandler(request -> {
            if (request.statusCode() != 413 || request.response().ended()) {
                request.next();
                return;
            }
            request.response().setStatusCode(413)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end("{\"error\":\"body_too_large\",\"message\":\"request body is larger than the configured limit\"}");
        });
    }
}
