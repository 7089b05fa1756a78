package dev.convexpipeline.convex;

import dev.convexpipeline.retry.RetryPolicy;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Where and how {@link ConvexClient} talks to a Convex deployment.
 *
 * @param deploymentUrl  base URL, e.g. {@code http://127.0.0.1:3210} (a trailing slash is dropped)
 * @param adminKey       deployment admin key, sent as {@code Authorization: Convex <key>}; never printed
 * @param connectTimeout TCP/TLS connect timeout
 * @param requestTimeout time allowed until response headers arrive; a streamed body may take longer
 * @param retryPolicy    retries for transient failures
 * @param clientName     {@code Convex-Client} header value ({@code <client>-<semver>}, docs/convex-wire.md §1.1)
 */
public record ConvexClientConfig(URI deploymentUrl, String adminKey, Duration connectTimeout,
                                 Duration requestTimeout, RetryPolicy retryPolicy, String clientName) {
    public static final String DEFAULT_CLIENT_NAME = "camel-0.1.0";

    public ConvexClientConfig {
        Objects.requireNonNull(deploymentUrl, "deploymentUrl");
        Objects.requireNonNull(adminKey, "adminKey");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(clientName, "clientName");
        if (!"http".equals(deploymentUrl.getScheme()) && !"https".equals(deploymentUrl.getScheme())) {
            throw new IllegalArgumentException("Convex deployment URL must be http(s)://host[:port], got " + deploymentUrl);
        }
        if (deploymentUrl.getUserInfo() != null || deploymentUrl.getQuery() != null) {
            throw new IllegalArgumentException("Convex deployment URL must not carry user info or a query: "
                    + deploymentUrl.getScheme() + "://" + deploymentUrl.getHost());
        }
        String text = deploymentUrl.toString();
        if (text.endsWith("/")) {
            deploymentUrl = URI.create(text.substring(0, text.length() - 1));
        }
        if (adminKey.isBlank()) {
            throw new IllegalArgumentException("Convex admin key is empty; set the deployment's admin key");
        }
        if (!clientName.contains("-")) {
            throw new IllegalArgumentException("clientName must look like <client>-<semver>, got " + clientName);
        }
    }

    /** Sensible defaults: 5 s connect, 60 s to first response byte, {@link RetryPolicy#defaults()}. */
    public static ConvexClientConfig of(String deploymentUrl, String adminKey) {
        return new ConvexClientConfig(URI.create(deploymentUrl), adminKey, Duration.ofSeconds(5),
                Duration.ofSeconds(60), RetryPolicy.defaults(), DEFAULT_CLIENT_NAME);
    }

    public ConvexClientConfig withRetryPolicy(RetryPolicy policy) {
        return new ConvexClientConfig(deploymentUrl, adminKey, connectTimeout, requestTimeout, policy, clientName);
    }

    public ConvexClientConfig withTimeouts(Duration connect, Duration request) {
        return new ConvexClientConfig(deploymentUrl, adminKey, connect, request, retryPolicy, clientName);
    }

    public ConvexClientConfig withAdminKey(String key) {
        return new ConvexClientConfig(deploymentUrl, key, connectTimeout, requestTimeout, retryPolicy, clientName);
    }

    /** Omits the admin key: configs end up in logs and health-check output. */
    @Override
    public String toString() {
        return "ConvexClientConfig[deploymentUrl=" + deploymentUrl + ", adminKey=<redacted>, connectTimeout="
                + connectTimeout + ", requestTimeout=" + requestTimeout + ", retryPolicy=" + retryPolicy
                + ", clientName=" + clientName + "]";
    }
}
