package dev.convexpipeline.app;

import io.vertx.core.net.impl.TCPServerBase;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;

import java.util.ArrayList;
import java.util.List;

/**
 * Camel's Vert.x HTTP servers log a failed bind (port in use) and carry on, which would leave a
 * pipeline running without its webhook or management listener while readiness says UP. After
 * start, every configured listener must be bound; if one is not, the start fails with its name.
 * Vert.x's public {@code HttpServer} interface does not say whether it listens, its server base
 * class does ({@code isListening}), hence the cast.
 */
final class ListenerCheck {
    private ListenerCheck() {
    }

    /** @throws IllegalStateException naming each listener that did not bind */
    static void requireBound(CamelContext context) {
        int publicPort = port(context, "{{camel.server.port}}");
        int managementPort = port(context, "{{camel.management.port}}");
        List<String> unbound = new ArrayList<>();
        for (VertxPlatformHttpServer server : context.hasServices(VertxPlatformHttpServer.class)) {
            if (server.getServer() instanceof TCPServerBase tcp && tcp.isListening()) {
                continue;
            }
            int port = server.getConfigurationPort();
            if (port == managementPort) {
                unbound.add("management port " + server.getHost() + ":" + port
                        + " could not be bound (in use by another process?): free it or set MANAGEMENT_HTTP_PORT");
            } else if (port == publicPort) {
                unbound.add("public HTTP port " + server.getHost() + ":" + port
                        + " could not be bound (in use by another process?): free it or set PIPELINE_HTTP_PORT");
            } else {
                unbound.add("HTTP port " + server.getHost() + ":" + port + " could not be bound");
            }
        }
        if (!unbound.isEmpty()) {
            throw new IllegalStateException(String.join("; ", unbound));
        }
    }

    private static int port(CamelContext context, String placeholder) {
        try {
            return Integer.parseInt(context.resolvePropertyPlaceholders(placeholder));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
