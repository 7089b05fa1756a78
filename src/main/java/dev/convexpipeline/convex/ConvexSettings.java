package dev.convexpipeline.convex;

import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.retry.RetryPolicy;

import java.net.URI;
import java.time.Duration;

/**
 * The pipeline's Convex deployment ({@code convex.*}): every flow in a process talks to it through
 * one {@link ConvexClient} built by {@link #openClient()}. {@link #toString()} never shows the key.
 *
 * @param url              {@code convex.url}
 * @param adminKey         {@code convex.admin-key}; empty when not configured
 * @param readinessTimeout the readiness probe's whole budget (it never retries)
 */
public record ConvexSettings(String url, String adminKey, Duration connectTimeout, Duration requestTimeout,
                             RetryPolicy retryPolicy, Duration readinessTimeout) {

    public static ConvexSettings from(SettingsSource settings) {
        return new ConvexSettings(settings.text("convex.url"), settings.text("convex.admin-key"),
                settings.millis("convex.connect-timeout-ms"), settings.millis("convex.request-timeout-ms"),
                new RetryPolicy(settings.integer("convex.max-attempts"), settings.millis("convex.retry-initial-backoff-ms"),
                        settings.millis("convex.retry-max-backoff-ms")),
                settings.millis("convex.readiness-timeout-ms"));
    }

    public boolean hasAdminKey() {
        return !adminKey.isBlank();
    }

    /** How the client connects; null without an admin key (callers say which variable to set). */
    public ConvexClientConfig clientConfig() {
        if (!hasAdminKey()) {
            return null;
        }
        return new ConvexClientConfig(URI.create(url), adminKey, connectTimeout, requestTimeout, retryPolicy,
                ConvexClientConfig.DEFAULT_CLIENT_NAME);
    }

    /**
     * The factory of the deployment's client, for serve (once per process) and the CLI commands.
     *
     * @throws IllegalStateException naming CONVEX_SERVICE_TOKEN when no admin key is configured
     */
    public ConvexClient openClient() {
        if (!hasAdminKey()) {
            throw new IllegalStateException("convex.admin-key is empty: set CONVEX_SERVICE_TOKEN to the admin key of " + url);
        }
        return new ConvexClient(clientConfig());
    }

    @Override
    public String toString() {
        return "ConvexSettings[url=" + url + ", adminKey=<" + (hasAdminKey() ? "redacted" : "unset") + ">, connectTimeout="
                + connectTimeout + ", requestTimeout=" + requestTimeout + ", retryPolicy=" + retryPolicy
                + ", readinessTimeout=" + readinessTimeout + "]";
    }
}
