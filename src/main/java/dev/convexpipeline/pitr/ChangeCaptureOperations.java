package dev.convexpipeline.pitr;

import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.convex.ConvexClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The capture bean {@code routes/changes.camel.yaml} calls every {@code CHANGES_FLUSH_INTERVAL}.
 * Built on first use (a pipeline without an admin key still starts, and each flush then fails with
 * that reason); remembers the last flush for {@link ChangeCaptureCheck}.
 */
public final class ChangeCaptureOperations implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeCaptureOperations.class);

    private final Supplier<PitrSettings> settings;
    private final Supplier<ConvexClient> clients;
    private final CaptureMetrics metrics;
    private final Clock clock;
    private ChangeCapture capture;
    private BackupTarget storage;
    private volatile ChangeCapture.Cycle lastCycle;
    private volatile Instant lastSuccess;
    private volatile String lastFailure;
    private final Instant startedAt;

    /** @param clients the process's Convex client (shared, not closed here) */
    public ChangeCaptureOperations(Supplier<PitrSettings> settings, Supplier<ConvexClient> clients, Clock clock) {
        this.settings = settings;
        this.clients = clients;
        this.clock = clock;
        this.metrics = new CaptureMetrics(clock);
        this.startedAt = clock.instant();
    }

    /** For tests and the benchmark: a capture built elsewhere. */
    public ChangeCaptureOperations(ChangeCapture capture, Clock clock) {
        this.settings = null;
        this.clients = null;
        this.clock = clock;
        this.metrics = capture.metrics();
        this.capture = capture;
        this.startedAt = clock.instant();
    }

    public CaptureMetrics metrics() {
        return metrics;
    }

    private synchronized ChangeCapture capture() {
        if (capture == null) {
            PitrSettings loaded = settings.get();
            if (loaded.backup().convex() == null) {
                throw new IllegalStateException("convex.admin-key (CONVEX_SERVICE_TOKEN) is empty: change capture needs"
                        + " the deployment's admin key to read document_deltas");
            }
            storage = loaded.backup().createTarget();
            ConvexClient client = clients.get();
            capture = new ChangeCapture(storage, loaded.layout(), client::documentDeltasPage, metrics, clock,
                    loaded.spillDirectory());
        }
        return capture;
    }

    /** One flush; never throws, so the schedule keeps firing; the outcome is logged, counted and kept for health. */
    public Map<String, Object> scheduled() {
        Map<String, Object> result = new LinkedHashMap<>();
        try {
            ChangeCapture.Cycle cycle = capture().captureOnce();
            lastCycle = cycle;
            lastSuccess = clock.instant();
            lastFailure = null;
            result.put("outcome", cycle.outcome());
            result.put("capturedThrough", cycle.capturedThrough());
            result.put("segments", cycle.segments());
            result.put("documents", cycle.documents());
            if (cycle.message() != null) {
                result.put("message", cycle.message());
            }
        } catch (Exception e) {
            String reason = OperatorMessages.describe(e);
            // Every flush interval would repeat the same line; say it once per new reason.
            if (!reason.equals(lastFailure)) {
                LOG.warn("Change capture flush failed (each flush retries from the last complete segment): {}", reason);
            } else {
                LOG.debug("Change capture flush failed again: {}", reason);
            }
            lastFailure = reason;
            metrics.failure(lastFailure);
            result.put("outcome", "failed");
            result.put("error", lastFailure);
        }
        return result;
    }

    public ChangeCapture.Cycle lastCycle() {
        return lastCycle;
    }

    public Instant lastSuccess() {
        return lastSuccess;
    }

    public String lastFailure() {
        return lastFailure;
    }

    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public synchronized void close() {
        if (storage != null) {
            storage.close();
        }
    }
}
