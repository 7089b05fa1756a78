package dev.convexpipeline.app;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexContractException;
import dev.convexpipeline.convex.ConvexSettings;
import dev.convexpipeline.retry.RetryPolicy;

import java.time.Duration;

/**
 * The configured Convex deployment and the one client every flow of the process uses (webhook,
 * reconcile, backups, change capture, readiness); callers with tighter limits take a
 * {@link ConvexClient#withLimits view} of it. Without an admin key there is no client, and every use
 * says which variable to set.
 */
public final class ConvexConnection implements AutoCloseable {
    private final String url;
    private final ConvexClient client;
    private final ConvexClient probeClient;

    private ConvexConnection(String url, ConvexClient client, Duration readinessTimeout) {
        this.url = url;
        this.client = client;
        // Readiness must answer fast and report the current state, so its probe never retries.
        this.probeClient = client == null ? null : client.withLimits(RetryPolicy.noRetries(), readinessTimeout);
    }

    /** Opens the deployment's client when an admin key is configured. */
    public static ConvexConnection open(ConvexSettings settings) {
        return new ConvexConnection(settings.url(), settings.hasAdminKey() ? settings.openClient() : null,
                settings.readinessTimeout());
    }

    public String url() {
        return url;
    }

    public boolean configured() {
        return client != null;
    }

    /** The shared client; {@link #configured()} says whether there is one. */
    public ConvexClient client() {
        if (client == null) {
            throw new IllegalStateException("No Convex admin key configured: set CONVEX_SERVICE_TOKEN to the admin key of "
                    + url);
        }
        return client;
    }

    /** The shared client, or null without an admin key (for beans that answer 503 until one is set). */
    public ConvexClient clientOrNull() {
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
        }
    }

    @Override
    public String toString() {
        return "ConvexConnection[" + url + "]";
    }
}
