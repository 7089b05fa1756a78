package dev.convexpipeline.stripe;

import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

import java.util.Locale;

/**
 * Camel's Vert.x platform-http engine, except that an endpoint with {@code populateBodyWithForm=false}
 * gets every body as the bytes received, whatever its Content-Type. A Stripe signature covers the exact
 * bytes, so the webhook has to verify them before it can answer 400 (wrong signature) or 415 (right
 * signature, wrong type). Left alone, Vert.x decodes form-encoded and multipart bodies (and answers a
 * malformed one with an unhandled 400 and an ERROR line) and Camel hands the route decoded fields or
 * nothing. So for such an endpoint a handler ahead of the body handler has it see an opaque type, and
 * the route's Content-Type header is put back as sent. Bound as {@code platform-http-engine} by
 * {@link StripeBeans}.
 */
public final class RawBodyPlatformHttpEngine extends VertxPlatformHttpEngine {
    private static final String SENT_CONTENT_TYPE = "rawBody.sentContentType";

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        String routerName = VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort());
        return new VertxPlatformHttpConsumer(endpoint, processor, getHandlers(), routerName) {
            private Route beforeBodyHandler;

            @Override
            protected void doStart() throws Exception {
                super.doStart();
                if (!endpoint.isPopulateBodyWithForm()) {
                    beforeBodyHandler = VertxPlatformHttpRouter.lookup(endpoint.getCamelContext(), routerName)
                            .route(endpoint.getPath()).order(-2).handler(RawBodyPlatformHttpEngine::keepBodyOpaque);
                }
            }

            @Override
            protected void doStop() throws Exception {
                if (beforeBodyHandler != null) {
                    beforeBodyHandler.remove();
                }
                super.doStop();
            }

            @Override
            protected Future<Void> populateCamelMessage(RoutingContext context, Exchange exchange, Message message) {
                return super.populateCamelMessage(context, exchange, message).map(populated -> {
                    String sent = context.get(SENT_CONTENT_TYPE);
                    if (sent != null) {
                        message.setHeader(Exchange.CONTENT_TYPE, sent);
                    }
                    if (message.getBody() == null && !endpoint.isPopulateBodyWithForm() && context.body().available()) {
                        message.setBody(context.body().buffer());
                    }
                    return populated;
                });
            }
        };
    }

    /** Vert.x's body handler decodes exactly these two types; any other body it keeps as received. */
    private static void keepBodyOpaque(RoutingContext context) {
        String contentType = context.request().getHeader(HttpHeaders.CONTENT_TYPE);
        String lower = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (lower.startsWith("application/x-www-form-urlencoded") || lower.startsWith("multipart/")) {
            context.put(SENT_CONTENT_TYPE, contentType);
            context.request().headers().set(HttpHeaders.CONTENT_TYPE, "application/octet-stream");
        }
        context.next();
    }
}
