package dev.convexpipeline.stripe;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Camel's Vert.x platform-http engine, except that on an endpoint with {@code populateBodyWithForm=false}
 * a form-encoded body reaches the route as the bytes received. Camel otherwise hands such a body over
 * only as decoded form fields (or, with that option off, not at all), while a Stripe signature covers
 * the exact bytes: the webhook has to verify them whatever the Content-Type says before it can answer
 * 400 or 415. Vert.x's body handler keeps those bytes (it decodes only multipart bodies); this passes
 * them on. Bound as {@code platform-http-engine} by {@link StripeBeans}.
 */
public final class RawBodyPlatformHttpEngine extends VertxPlatformHttpEngine {
    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new VertxPlatformHttpConsumer(endpoint, processor, getHandlers(),
                VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort())) {
            @Override
            protected Future<Void> populateCamelMessage(RoutingContext context, Exchange exchange, Message message) {
                return super.populateCamelMessage(context, exchange, message).map(populated -> {
                    if (message.getBody() == null && !endpoint.isPopulateBodyWithForm() && context.body().available()) {
                        message.setBody(context.body().buffer());
                    }
                    return populated;
                });
            }
        };
    }
}
