package dev.convexpipeline.stripe;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Idempotent repository for Stripe event ids whose truth is the {@code stripe_events} ledger in Convex.
 *
 * <p>Camel's JDBC and in-memory repositories cannot give exactly-once here: they record the id in a
 * different transaction from the entitlement change (a crash in between loses or repeats an effect),
 * and the JDBC one races between nodes. So the decisive check is made by {@code stripe:applyEvent}
 * itself, in the same Convex transaction that writes the entitlement; a delivery that loses the race
 * on another instance comes back as {@code duplicate}. This repository only adds, in front of it:
 * <ul>
 *   <li>a bounded cache of ids this instance has applied, so a sequential redelivery is answered
 *       without a Convex call;</li>
 *   <li>a per-id claim, so concurrent deliveries of one event to this instance wait for the first one
 *       instead of all calling Convex; if the first fails (Convex down) the claim is released and the
 *       next delivery applies it, so a failure never turns into a false duplicate.</li>
 * </ul>
 * {@link #contains} asks Convex, so a ledger moved with the data (migration) is honoured on restart.
 */
public final class ConvexEventLedgerRepository extends ServiceSupport implements IdempotentRepository {
    private final StripeEventLedger ledger;
    private final Duration claimWait;
    private final Cache<String, Boolean> applied;
    private final ConcurrentHashMap<String, CompletableFuture<Boolean>> claims = new ConcurrentHashMap<>();

    public ConvexEventLedgerRepository(StripeEventLedger ledger, int cacheSize, Duration claimWait) {
        this.ledger = ledger;
        this.claimWait = claimWait;
        this.applied = Caffeine.newBuilder().maximumSize(cacheSize).expireAfterWrite(Duration.ofHours(24)).build();
    }

    /**
     * Claims {@code eventId} for this delivery; false means "already applied" (a duplicate).
     *
     * @throws IllegalStateException when another delivery of the same event on this instance does not
     *         finish within the claim wait (answered 503; Stripe retries)
     */
    @Override
    public boolean add(String eventId) {
        while (true) {
            if (applied.getIfPresent(eventId) != null) {
                return false;
            }
            CompletableFuture<Boolean> mine = new CompletableFuture<>();
            CompletableFuture<Boolean> other = claims.putIfAbsent(eventId, mine);
            if (other == null) {
                return true;
            }
            boolean otherApplied;
            try {
                otherApplied = other.get(claimWait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("Another delivery of Stripe event " + eventId
                        + " is still being applied after " + claimWait.toMillis() + " ms; Stripe will retry");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for another delivery of " + eventId, e);
            } catch (ExecutionException e) {
                otherApplied = false;
            }
            if (otherApplied) {
                return false;
            }
            // The other delivery failed and released the claim: try to take it over.
        }
    }

    /** The event was applied (or recorded) by Convex: remember it and wake waiting deliveries. */
    @Override
    public boolean confirm(String eventId) {
        applied.put(eventId, Boolean.TRUE);
        release(eventId, true);
        return true;
    }

    /** Processing failed (nothing was recorded): forget the claim so a retry applies the event. */
    @Override
    public boolean remove(String eventId) {
        release(eventId, false);
        return true;
    }

    @Override
    public boolean contains(String eventId) {
        return applied.getIfPresent(eventId) != null || ledger.find(eventId).isPresent();
    }

    /** Forgets the local cache only; the ledger in Convex is pruned by housekeeping. */
    @Override
    public void clear() {
        applied.invalidateAll();
    }

    /** Drops {@code eventId} from the local cache (after an operator re-applies it). */
    public void forget(String eventId) {
        applied.invalidate(eventId);
    }

    private void release(String eventId, boolean wasApplied) {
        CompletableFuture<Boolean> claim = claims.remove(eventId);
        if (claim != null) {
            claim.complete(wasApplied);
        }
    }

    @Override
    protected void doStop() {
        claims.values().forEach(claim -> claim.complete(false));
        claims.clear();
    }
}
