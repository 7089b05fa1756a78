package dev.convexpipeline.ops;

import dev.convexpipeline.stripe.StripeWebhook;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Answers an over-limit body (413) and a method other than POST (405) on the public port with a
 * short JSON reason, counted with the webhook's other rejections. Without a handler Vert.x
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
        StripeWebhook webhook = camelContext.getRegistry().lookupByNameAndType("stripeWebhook", StripeWebhook.class);
        // Before Camel's own handler (which answers 405 unseen): another method is counted like any rejection.
        router.route("/stripe/webhook").order(-1).handler(request -> {
            if (request.request().method() == HttpMethod.POST) {
                request.next();
                return;
            }
            if (webhook != null) {
                webhook.rejectedBeforeRoute(405, "method_not_allowed");
            }
            request.response().setStatusCode(405).putHeader("Allow", "POST")
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end("{\"error\":\"method_not_allowed\",\"message\":\"Stripe webhooks are POST requests\"}");
        });
        router.route().failureHandler(request -> {
            if (request.statusCode() != 413 || request.response().ended()) {
                request.next();
                return;
            }
            if (webhook != null) {
                webhook.rejectedBeforeRoute(413, "body_too_large");
            }
            request.response().setStatusCode(413)
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end("{\"error\":\"body_too_large\",\"message\":\"request body is larger than the configured limit\"}");
        });
    }
}
