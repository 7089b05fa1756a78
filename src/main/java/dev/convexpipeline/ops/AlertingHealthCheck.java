package dev.convexpipeline.ops;

import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * A health check that pages someone and nothing more: neither liveness nor readiness, so a DOWN
 * shows on {@code /observe/health} without restarting the pipeline or taking it out of the load
 * balancer (a stale backup or a broken change chain must not stop webhooks).
 */
public abstract class AlertingHealthCheck extends AbstractHealthCheck {
    protected AlertingHealthCheck(String id) {
        super("convex-pipeline", id);
    }

    @Override
    public final boolean isLiveness() {
        return false;
    }

    @Override
    public final boolean isReadiness() {
        return false;
    }
}
