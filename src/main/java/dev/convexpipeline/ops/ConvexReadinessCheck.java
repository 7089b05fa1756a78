package dev.convexpipeline.ops;

import dev.convexpipeline.OperatorMessages;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.util.Map;

/**
 * Readiness: the pipeline is only ready when Convex answers and accepts the admin key, because
 * every flow writes to Convex. Liveness does not depend on it (a Convex outage must not restart us).
 */
public final class ConvexReadinessCheck extends AbstractHealthCheck {

    /** Probes the deployment; throws with an operator-readable reason when it is not usable. */
    @FunctionalInterface
    public interface Probe {
        void check() throws Exception;
    }

    private final Probe probe;
    private final String deploymentUrl;

    public ConvexReadinessCheck(Probe probe, String deploymentUrl) {
        super("convex-pipeline", "convex");
        this.probe = probe;
        this.deploymentUrl = deploymentUrl;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("convex.url", deploymentUrl);
        try {
            probe.check();
            builder.up();
        } catch (Exception e) {
            // The URL is in the details: Camel's health JSON mangles slashes inside messages.
            builder.message("Convex deployment is not usable: " + OperatorMessages.describe(e));
            builder.down();
        }
    }
}
