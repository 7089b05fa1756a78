package dev.convexpipeline.ops;

import dev.convexpipeline.OperatorMessages;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Readiness: the pipeline is only ready when Convex answers, accepts the admin key and has this
 * release's functions ({@code pipeline:contract}), because every flow writes to Convex. Liveness
 * does not depend on it (a Convex outage must not restart us). The reason goes to the log once per
 * change, not once per probe: probes run every few seconds and webhooks call it too.
 */
public final class ConvexReadinessCheck extends AbstractHealthCheck {
    private static final Logger LOG = LoggerFactory.getLogger(ConvexReadinessCheck.class);

    /** Probes the deployment; throws with an operator-readable reason when it is not usable. */
    @FunctionalInterface
    public interface Probe {
        void check() throws Exception;
    }

    private final Probe probe;
    private final String deploymentUrl;
    /** The last reason reported DOWN, or null while UP (and before the first probe). */
    private String lastReason;
    private boolean probed;

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
            changedTo(null);
        } catch (Exception e) {
            // The URL is in the details: Camel's health JSON mangles slashes inside messages.
            String reason = "Convex deployment is not usable: " + OperatorMessages.describe(e);
            builder.message(reason);
            builder.down();
            changedTo(reason);
        }
    }

    private synchronized void changedTo(String reason) {
        if (probed && java.util.Objects.equals(reason, lastReason)) {
            return;
        }
        if (reason != null) {
            LOG.warn("Readiness DOWN for {}: {}", deploymentUrl, reason);
        } else if (probed) {
            LOG.info("Readiness UP: Convex deployment {} is usable again", deploymentUrl);
        }
        probed = true;
        lastReason = reason;
    }
}
