package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
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

    /** Exchange property collecting what each step deleted, per table, for the report step. */
    public static final String DELETED = "housekeepingDeleted";

    /** One housekeeping pass, every step in the order routes/stripe-housekeeping.camel.yaml runs them. */
    public ObjectNode run() {
        ObjectNode deleted = JsonNodeFactory.instance.objectNode();
        long now = clock.millis();
        pruneEvents(deleted, now);
        pruneChallenges(deleted, now);
        return report(deleted);
    }

    /** Step 1: {@code stripe_events} processed longer ago than the event retention. */
    public void pruneEvents(Exchange exchange) {
        pruneEvents(deleted(exchange), clock.millis());
    }

    /** Step 2: auth and EVM challenges that expired longer ago than the challenge retention. */
    public void pruneChallenges(Exchange exchange) {
        pruneChallenges(deleted(exchange), clock.millis());
    }

    /** Step 3: logs what the pass deleted and makes it the body. */
    public ObjectNode report(Exchange exchange) {
        return report(deleted(exchange));
    }

    private void pruneEvents(ObjectNode deleted, long now) {
        deleted.put("stripe_events", prune("stripe_events",
                (before, limit) -> ledger.pruneEvents(before, limit), now - eventRetention.toMillis()));
    }

    private void pruneChallenges(ObjectNode deleted, long now) {
        for (String table : CHALLENGE_TABLES) {
            deleted.put(table, prune(table,
                    (before, limit) -> ledger.pruneChallenges(table, before, limit), now - challengeRetention.toMillis()));
        }
    }

    private static ObjectNode report(ObjectNode deleted) {
        LOG.info("Housekeeping pruned {}", deleted);
        return deleted;
    }

    private static ObjectNode deleted(Exchange exchange) {
        ObjectNode deleted = exchange.getProperty(DELETED, ObjectNode.class);
        if (deleted == null) {
            deleted = JsonNodeFactory.instance.objectNode();
            exchange.setProperty(DELETED, deleted);
        }
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
