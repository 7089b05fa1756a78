package dev.convexpipeline.pitr;

import dev.convexpipeline.ops.AlertingHealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * DOWN on {@code /observe/health} when point-in-time restore is at risk: the change chain broke
 * (changes were lost; the next base backup mends it), or the captured log is more than
 * {@code CHANGES_MAX_LAG} behind. Like the backup-age check it is neither liveness nor readiness:
 * it pages someone; it must not restart the pipeline or take it out of the load balancer.
 */
public final class ChangeCaptureCheck extends AlertingHealthCheck {
    private final ChangeCaptureOperations capture;
    private final Duration maxLag;
    private final Clock clock;

    public ChangeCaptureCheck(ChangeCaptureOperations capture, Duration maxLag, Clock clock) {
        super("change-capture");
        this.capture = capture;
        this.maxLag = maxLag;
        this.clock = clock;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("changes.max-lag", maxLag.toString());
        Instant now = clock.instant();
        ChangeCapture.Cycle last = capture.lastCycle();
        Duration lag = capture.metrics().lag();
        if (lag != null) {
            builder.detail("changes.lag-seconds", lag.toSeconds());
        }
        if (last != null && ChangeCapture.Cycle.BROKEN.equals(last.outcome())) {
            builder.message("Point-in-time restore has a gap: " + last.message()).down();
            return;
        }
        Instant reference = capture.lastSuccess() != null ? capture.lastSuccess() : capture.startedAt();
        if (capture.lastFailure() != null && Duration.between(reference, now).compareTo(maxLag) > 0) {
            builder.message("Change capture has failed since " + reference + " (more than CHANGES_MAX_LAG " + maxLag
                    + "): " + capture.lastFailure()).down();
            return;
        }
        if (lag != null && lag.compareTo(maxLag) > 0) {
            builder.message("The captured change log is " + lag.toSeconds() + " s behind (more than CHANGES_MAX_LAG "
                    + maxLag + ")").down();
            return;
        }
        if (last != null && ChangeCapture.Cycle.WAITING.equals(last.outcome())) {
            builder.message(last.message());
        }
        builder.up();
    }
}
