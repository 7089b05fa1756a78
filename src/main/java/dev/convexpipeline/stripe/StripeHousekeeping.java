package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;

/**
 * Prunes what the Stripe and auth flows leave behind, in bounded batches (one Convex mutation per
 * batch keeps every transaction small): {@code stripe_events} processed longer ago than the event
 * retention, and {@code auth_challenges} / {@code evm_challenges} that expired longer ago than the
 * challenge retention. A run stops after {@code maxBatches} per table; the next run continues.
 */
public final class StripeHousekeeping {
    static final String[] CHALLENGE_TABLES = {"auth_challenges", "evm_challenges"};
    private static final Logger LOG = LoggerFactory.getLogger(StripeHousekeeping.class);

    private final StripeEventLedger ledger;
    private final StripeMetrics metrics;
    private final Duration eventRetention;
    private final Duration challengeRetention;
    private final int batchSize;
    private final int maxBatches;
    private final Clock clock;

    public StripeHousekeeping(StripeEventLedger ledger, StripeMetrics metrics, Duration eventRetention,
                              Duration challengeRetention, int batchSize, int maxBatches, Clock clock) {
        this.ledger = ledger;
        this.metrics = metrics;
        this.eventRetention = eventRetention;
        this.challengeRetention = challengeRetention;
        this.batchSize = batchSize;
        this.maxBatches = maxBatches;
        this.clock = clock;
    }

    /** One housekeeping pass; returns what was deleted per table. */
    public ObjectNode run() {
        long now = clock.millis();
        ObjectNode deleted = JsonNodeFactory.instance.objectNode();
        deleted.put("stripe_events", prune("stripe_events",
                (before, limit) -> ledger.pruneEvents(before, limit), now - eventRetention.toMillis()));
        for (String table : CHALLENGE_TABLES) {
            deleted.put(table, prune(table,
                    (before, limit) -> ledger.pruneChallenges(table, before, limit), now - challengeRetention.toMillis()));
        }
        LOG.info("Housekeeping pruned {}", deleted);
        return deleted;
    }

    @FunctionalInterface
    private interface Batch {
        StripeEventLedger.PruneBatch run(double before, int limit);
    }

    private long prune(String table, Batch batch, double before) {
        long total = 0;
        for (int i = 0; i < maxBatches; i++) {
            StripeEventLedger.PruneBatch result = batch.run(before, batchSize);
            total += result.deleted();
            if (!result.hasMore()) {
                break;
            }
        }
        metrics.housekeepingDeleted(table, total);
        return total;
    }
}
