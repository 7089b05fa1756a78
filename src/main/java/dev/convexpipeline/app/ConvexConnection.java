package dev.convexpipeline.app;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexContractException;

/**
 * The configured Convex deployment: the client flows use, and a no-retry client for probes.
 * Without an admin key there is no client, and every use says which variable to set.
 */
public final class ConvexConnection implements AutoCloseable {
    private final String url;
    private final ConvexClient client;
    private final ConvexClient probeClient;

    ConvexConnection(String url, ConvexClient client, ConvexClient probeClient) {
        this.url = url;
        this.client = client;
        this.probeClient = probeClient;
    }

    static ConvexConnection unconfigured(String url) {
        return new ConvexConnection(url, null, null);
    }

    public String url() {
        return url;
    }

    public ConvexClient client() {
        if (client == null) {
            throw new IllegalStateException("No Convex admin key configured: set CONVEX_SERVICE_TOKEN to the admin key of "
                    + url);
        }
        return client;
    }

    /**
     * Convex answers, accepts the key and has this release's functions ({@code pipeline:contract});
     * throws with the reason otherwise.
     */
    public void probe() {
        if (probeClient == null) {
            throw new IllegalStateException("no admin key configured (set CONVEX_SERVICE_TOKEN)");
        }
        probeClient.checkAdminKey();
        ConvexContractException.requireContract(probeClient);
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            probeClient.close();
        }
    }

    @Override
    public String toString() {
        return "ConvexConnection[" + url + "]";
    }
}
