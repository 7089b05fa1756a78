package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.stripe.exception.StripeException;
import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.stripe.ApplyResult;
import dev.convexpipeline.stripe.EventEffect;
import dev.convexpipeline.stripe.StripeEvent;
import dev.convexpipeline.stripe.StripeEventLedger;
import dev.convexpipeline.stripe.StripeEventTranslator;
import dev.convexpipeline.stripe.SubscriptionEntitlement;
import dev.convexpipeline.stripe.SubscriptionEntitlementMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One reconcile run: make {@code entitlements} agree with Stripe again. The same run serves the
 * Quartz schedule, the {@code reconcile} CLI command and the admin API.
 *
 * <ol>
 *   <li><b>Claim</b> the run in {@code stripe_reconcile_state} ({@code reconcile:begin}): refused while
 *       another run checks in within the lease; a run whose owner stopped checking in (killed) is
 *       taken over and resumed from its phase and cursor.</li>
 *   <li><b>Events</b>: Stripe events of the handled types created since the last completed run started
 *       (30 days at most) go through {@code stripe:applyEvent} exactly as webhooks do; events already in
 *       the ledger come back {@code duplicate} and change nothing.</li>
 *   <li><b>Subscriptions</b>: every page of {@code status=all} subscriptions is mapped with the shared
 *       {@link SubscriptionEntitlementMapper}, compared with the page's entitlements (one bulk read), and
 *       the drift written in one mutation that also advances the cursor.</li>
 *   <li><b>Revocations</b>: non-terminal entitlements whose subscription the listing did not contain are
 *       re-fetched one by one; a subscription Stripe no longer knows becomes {@code canceled}.</li>
 *   <li><b>Finish</b>: the report is recorded as {@code completed}; a run that gave up (Stripe retries
 *       exhausted, Convex down) is recorded {@code failed}, never complete.</li>
 * </ol>
 *
 * <p>Ordering: a correction is written with the watermark (Stripe {@code created}) "the second before
 * the page was requested", through the webhook's own ordering rule, so an event newer than the data
 * read is never overwritten, and an older event arriving afterwards is stale.
 */
public final class Reconciler {
    public static final String PHASE_EVENTS = "events";
    public static final String PHASE_SUBSCRIPTIONS = "subscriptions";
    public static final String PHASE_REVOCATIONS = "revocations";
    /** After the last step: only finish remains. */
    public static final String PHASE_DONE = "done";
    private static final Logger LOG = LoggerFactory.getLogger(Reconciler.class);
    private static final Set<String> TERMINAL = Set.of("canceled", "incomplete_expired");
    private static final int UNSEEN_PAGE = 100;
    private static final DateTimeFormatter RUN_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final ReconcileSettings settings;
    private final ReconcileStore store;
    private final SubscriptionEntitlementMapper mapper;
    private final StripeEventTranslator translator;
    private final StripeEventLedger ledger;
    private final ReconcileMetrics metrics;
    private final String owner;
    private final AtomicReference<ReconcileReport> current = new AtomicReference<>();
    private final AtomicReference<ReconcileReport> lastDryRun = new AtomicReference<>();

    public Reconciler(ReconcileSettings settings, ReconcileStore store, SubscriptionEntitlementMapper mapper,
                      StripeEventTranslator translator, StripeEventLedger ledger, ReconcileMetrics metrics) {
        this.settings = settings;
        this.store = store;
        this.mapper = mapper;
        this.translator = translator;
        this.ledger = ledger;
        this.metrics = metrics;
        this.owner = ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** This instance's name in {@code stripe_reconcile_state.owner}. */
    public String owner() {
        return owner;
    }

    /**
     * Runs every step on the calling thread (CLI, tests), in the order routes/stripe-reconcile.camel.yaml
     * calls them. A refused run throws {@link ReconcileStore.RunInProgressException}; a failed one returns
     * its report with status {@code failed}.
     */
    public ReconcileReport run(String trigger, boolean dryRun) {
        Run run = begin(trigger, dryRun);
        Exception failure = null;
        try {
            replayMissedEvents(run);
            repairSubscriptions(run);
            revokeUnseen(run);
        } catch (Exception e) {
            failure = e;
        }
        return finish(run, failure);
    }

    /** The run in progress on this instance, if any. */
    public Optional<ReconcileReport> current() {
        return Optional.ofNullable(current.get());
    }

    public Optional<ReconcileReport> lastDryRun() {
        return Optional.ofNullable(lastDryRun.get());
    }

    public ReconcileStore store() {
        return store;
    }

    /**
     * One run's state between the steps (the route carries it in an exchange property): its report,
     * the phase and cursor it is at, and, for a dry run, the subscriptions seen (kept in memory, not in Convex).
     */
    public final class Run {
        private final ReconcileReport report;
        private final long eventsSince;
        private final Set<String> seenInMemory;
        private final Counters counters;
        private String phase;
        private String cursor;
        private StripeReader stripe;

        private Run(ReconcileReport report, long eventsSince, String phase, String cursor) {
            this.report = report;
            this.eventsSince = eventsSince;
            this.seenInMemory = report.dryRun() ? new HashSet<>() : null;
            this.counters = new Counters(report);
            this.phase = phase;
            this.cursor = cursor;
        }

        /** Created by the first step that talks to Stripe, so a failure to create it fails that step. */
        private StripeReader stripe() {
            if (stripe == null) {
                stripe = new StripeReader(settings);
                counters.stripe = stripe;
            }
            return stripe;
        }

        private MDC.MDCCloseable logContext() {
            // Every log line of the run carries its id, whichever thread runs the step.
            return MDC.putCloseable("runId", report.runId());
        }

        public ReconcileReport report() {
            return report;
        }

        public String phase() {
            return phase;
        }
    }

    // ---- step 1: claim -------------------------------------------------------------------------

    /**
     * Claims the run (refused while another runs; a killed run is taken over and resumes from its phase
     * and cursor). A dry run claims nothing in Convex, only this instance's slot.
     */
    public Run begin(String trigger, boolean dryRun) {
        if (dryRun) {
            return beginDryRun(trigger);
        }
        Claim claim = claim(trigger);
        return new Run(claim.report(), claim.eventsSince(), claim.phase(), claim.cursor());
    }

    private Run beginDryRun(String trigger) {
        requireStripeKey();
        ReconcileReport report = new ReconcileReport("dry_" + RUN_ID_TIME.format(Instant.now()) + "_"
                + UUID.randomUUID().toString().substring(0, 6), trigger, true, System.currentTimeMillis());
        if (!current.compareAndSet(null, report)) {
            throw new ReconcileStore.RunInProgressException("a reconcile run is already in progress on this instance: run "
                    + current.get().runId() + " — wait for it to finish");
        }
        try {
            JsonNode state = store.state().orElse(MissingNode.getInstance());
            return new Run(report, eventsSince(state), PHASE_EVENTS, null);
        } catch (RuntimeException e) {
            current.set(null);
            throw e;
        }
    }

    // ---- claim ---------------------------------------------------------------------------------

    private record Claim(ReconcileReport report, String phase, String cursor, long eventsSince) {
    }

    private Claim claim(String trigger) {
        requireStripeKey();
        ReconcileReport placeholder = new ReconcileReport("(claiming)", trigger, false, System.currentTimeMillis());
        if (!current.compareAndSet(null, placeholder)) {
            throw new ReconcileStore.RunInProgressException("a reconcile run is already in progress on this instance: run "
                    + current.get().runId() + " — wait for it to finish");
        }
        try {
            String runId = "rec_" + RUN_ID_TIME.format(Instant.now()) + "_" + UUID.randomUUID().toString().substring(0, 6);
            // reconcile:begin answers with the new owner; who held a run it takes over is read first.
            String previousOwner = store.state().filter(st -> "running".equals(st.path("status").asText()))
                    .map(st -> st.path("owner").asText()).orElse("unknown");
            JsonNode state = store.begin(runId, owner, settings.lease().toMillis());
            boolean resumed = state.path("resumed").asBoolean(false);
            ReconcileReport report;
            if (resumed && state.path("report").isObject()) {
                report = ReconcileReport.fromJson(state.path("report"));
            } else {
                report = new ReconcileReport(state.path("runId").asText(), trigger, false, state.path("startedAt").asDouble());
            }
            // reconcile:begin itself.
            report.add("convexCalls", 1);
            if (resumed) {
                report.resumes++;
                LOG.info("Reconcile run {} resumed by {} (trigger {}) in phase {} after {}: its previous owner {} stopped checking in",
                        report.runId(), owner, trigger, state.path("phase").asText(),
                        state.path("cursor").isTextual() ? state.path("cursor").asText() : "the start of the phase",
                        previousOwner);
            } else {
                LOG.info("Reconcile run {} started by {} ({})", report.runId(), trigger, owner);
            }
            current.set(report);
            String phase = state.path("phase").asText(PHASE_EVENTS);
            String cursor = state.path("cursor").isTextual() ? state.path("cursor").asText() : null;
            return new Claim(report, phase, cursor, eventsSince(state));
        } catch (RuntimeException e) {
            current.set(null);
            throw e;
        }
    }

    /** Unix seconds after which missed events are fetched: the last completed run's start (less an overlap), 30 days at most. */
    private long eventsSince(JsonNode state) {
        long floor = Instant.now().minus(settings.eventsLookback()).getEpochSecond();
        JsonNode lastStart = state.path("lastCompletedStartedAt");
        if (!lastStart.isNumber()) {
            return floor;
        }
        long since = (long) (lastStart.asDouble() - settings.eventsOverlap().toMillis()) / 1000;
        return Math.max(floor, since);
    }

    /** Without a key every run would fail at its first request: refuse before claiming anything. */
    private void requireStripeKey() {
        if (settings.stripeSecretKey().isBlank()) {
            throw new dev.convexpipeline.SettingMissingException("stripe.secret-key is empty: set STRIPE_SECRET_KEY (a restricted key that can"
                    + " read subscriptions and events is enough) to run reconcile");
        }
    }

    // ---- step 2: events -------------------------------------------------------------------------

    /** Replays the Stripe events missed since the last completed run, exactly as webhooks apply them. */
    public void replayMissedEvents(Run run) throws StripeException {
        inPhase(run, PHASE_EVENTS, PHASE_SUBSCRIPTIONS, () -> {
            ReconcileReport report = run.report;
            if (!run.report.dryRun()) {
                // A run resumed in this phase lists its events again: the ones it replayed before now come back
                // duplicate and must not count twice.
                run.counters.priorReplays = report.count("eventsReplayed");
                report.counts.put("eventsSeen", 0L);
                report.counts.put("eventsAlreadyApplied", 0L);
            }
            replayEvents(report, run.stripe(), run.eventsSince, run.counters, run.report.dryRun());
            if (!run.report.dryRun()) {
                checkpoint(report, run.counters, PHASE_SUBSCRIPTIONS, null, List.of(), List.of());
            }
        });
    }

    // ---- step 3: subscription pages ------------------------------------------------------------

    /** Pages every subscription and repairs the drift, one mutation per page that also advances the cursor. */
    public void repairSubscriptions(Run run) throws StripeException {
        inPhase(run, PHASE_SUBSCRIPTIONS, PHASE_REVOCATIONS, () -> {
            reconcileSubscriptions(run.report, run.stripe(), run.cursor, run.counters, run.seenInMemory);
            run.cursor = null;
        });
    }

    // ---- step 4: revocations -------------------------------------------------------------------

    /** Revokes the entitlements whose subscription the listing did not contain and Stripe no longer has. */
    public void revokeUnseen(Run run) throws StripeException {
        inPhase(run, PHASE_REVOCATIONS, PHASE_DONE,
                () -> revokeUnseen(run.report, run.stripe(), run.cursor, run.counters, run.seenInMemory));
    }

    @FunctionalInterface
    private interface PhaseWork {
        void run() throws StripeException;
    }

    /** A step does its work only in its own phase (a resumed run skips the phases it finished), then moves on. */
    private static void inPhase(Run run, String phase, String nextPhase, PhaseWork work) throws StripeException {
        if (!phase.equals(run.phase)) {
            return;
        }
        try (MDC.MDCCloseable ignored = run.logContext()) {
            work.run();
            run.phase = nextPhase;
        }
    }

    // ---- step 5: finish ------------------------------------------------------------------------

    /**
     * Records the outcome, whatever happened in the steps: {@code completed} when {@code failure} is null
     * (a failure to record that is recorded as failed), {@code failed} otherwise (the next run starts over),
     * {@code abandoned} when another instance took the run over. Frees this instance's slot.
     */
    public ReconcileReport finish(Run run, Throwable failure) {
        try (MDC.MDCCloseable ignored = run.logContext()) {
            return run.report.dryRun() ? finishDryRun(run, failure) : finishClaimed(run, failure);
        } finally {
            current.set(null);
        }
    }

    private ReconcileReport finishClaimed(Run run, Throwable failure) {
        ReconcileReport report = run.report;
        if (failure == null) {
            try {
                run.counters.sync();
                report.status = "completed";
                report.finishedAt = (double) System.currentTimeMillis();
                // reconcile:finish itself (the seen-marker prune after it is housekeeping, not counted).
                report.add("convexCalls", 1);
                store.finish(report.runId(), owner, "completed", report, null);
                pruneSeen();
                LOG.info("{}", report.summary());
                metrics.finished(report);
                return report;
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (failure instanceof ReconcileStore.RunLostException) {
            report.status = "abandoned";
            report.error = failure.getMessage();
            LOG.warn("Reconcile run {} stopped on this instance: {}", report.runId(), failure.getMessage());
            return report;
        }
        run.counters.sync();
        report.status = "failed";
        report.error = explain(run, failure);
        report.finishedAt = (double) System.currentTimeMillis();
        LOG.error("Reconcile run {} failed and is recorded as failed: {} — the next run starts over; {}",
                report.runId(), report.error, report.summary());
        try {
            store.finish(report.runId(), owner, "failed", report, report.error);
        } catch (RuntimeException recordFailure) {
            LOG.error("Reconcile run {} could not record its failure in Convex ({}); its lease expires and the next"
                    + " trigger resumes it", report.runId(), OperatorMessages.describe(recordFailure));
        }
        metrics.finished(report);
        return report;
    }

    private ReconcileReport finishDryRun(Run run, Throwable failure) {
        ReconcileReport report = run.report;
        run.counters.sync();
        report.status = failure == null ? "completed" : "failed";
        if (failure != null) {
            report.error = explain(run, failure);
        }
        report.finishedAt = (double) System.currentTimeMillis();
        LOG.info("{}", report.summary());
        lastDryRun.set(report);
        return report;
    }

    private static String explain(Run run, Throwable failure) {
        Exception exception = failure instanceof Exception e ? e : new RuntimeException(failure);
        return run.stripe == null ? OperatorMessages.describe(exception) : run.stripe.explain(exception);
    }

    /** Keeps the report's request/call counters in step with the clients, before each checkpoint. */
    private final class Counters {
        private final ReconcileReport report;
        private StripeReader stripe;
        private long stripeRequests;
        private long stripeRetries;
        private long convexCalls;
        private final long convexStart = store.calls();
        private long ledgerCalls;
        /** Events a resumed run had replayed before it was killed (they come back duplicate). */
        private long priorReplays;

        Counters(ReconcileReport report) {
            this.report = report;
        }

        void sync() {
            if (stripe != null) {
                report.add("stripeRequests", stripe.requests() - stripeRequests);
                report.add("stripeRetries", stripe.retries() - stripeRetries);
                stripeRequests = stripe.requests();
                stripeRetries = stripe.retries();
            }
            long convex = store.calls() - convexStart + ledgerCalls;
            report.add("convexCalls", convex - convexCalls);
            convexCalls = convex;
        }
    }

    private List<ReconcileStore.Outcome> checkpoint(ReconcileReport report, Counters counters, String phase, String cursor,
                                                    List<String> seen, List<ReconcileStore.Correction> corrections) {
        // The mutation's own call is counted before it is made, so the stored report includes it.
        counters.sync();
        report.add("convexCalls", 1);
        counters.convexCalls++;
        return store.applyPage(report.runId(), owner, phase, cursor, seen, corrections, report);
    }

    // ---- events --------------------------------------------------------------------------------

    private void replayEvents(ReconcileReport report, StripeReader stripe, long since, Counters counters, boolean dryRun)
            throws StripeException {
        String startingAfter = null;
        long lastCheckIn = System.nanoTime();
        while (true) {
            StripeReader.EventPage page = stripe.events(since, StripeEventTranslator.HANDLED_TYPES, startingAfter);
            report.add("eventsSeen", page.events().size());
            if (dryRun) {
                List<StripeEvent> events = page.events().stream().map(Reconciler::parseEvent).toList();
                Set<String> known = store.knownEvents(events.stream().map(StripeEvent::id).toList());
                for (StripeEvent event : events) {
                    report.add(known.contains(event.id()) ? "eventsAlreadyApplied" : "eventsReplayed", 1);
                }
            } else {
                for (String raw : page.events()) {
                    StripeEvent event = parseEvent(raw);
                    EventEffect effect = translator.translate(event);
                    counters.ledgerCalls++;
                    ApplyResult result = ledger.apply(event, effect, false);
                    if (result.isDuplicate() && counters.priorReplays > 0) {
                        counters.priorReplays--;
                    } else if (result.isDuplicate()) {
                        report.add("eventsAlreadyApplied", 1);
                    } else {
                        report.add("eventsReplayed", 1);
                        LOG.info("Reconcile {} replayed missed Stripe event {} ({}): {}{}", report.runId(), event.id(),
                                event.type(), result.outcome(), result.reason() == null ? "" : " - " + result.reason());
                    }
                    if ("failed".equals(result.outcome())) {
                        report.add("errors", 1);
                    }
                }
            }
            if (!page.hasMore() || page.lastId().isEmpty()) {
                return;
            }
            if (!dryRun && System.nanoTime() - lastCheckIn > settings.lease().toNanos() / 5) {
                // A long replay (30 days of events) must still check in, or another instance takes the run over.
                checkpoint(report, counters, PHASE_EVENTS, null, List.of(), List.of());
                lastCheckIn = System.nanoTime();
            }
            startingAfter = page.lastId().get();
        }
    }

    private static StripeEvent parseEvent(String raw) {
        return StripeEvent.parse(raw.getBytes(StandardCharsets.UTF_8));
    }

    // ---- subscriptions ---------------------------------------------------------------------------

    /** {@code seenInMemory} is non-null for a dry run, which keeps its seen set locally instead of in Convex. */
    private void reconcileSubscriptions(ReconcileReport report, StripeReader stripe, String cursor, Counters counters,
                                        Set<String> seenInMemory) throws StripeException {
        String startingAfter = cursor;
        while (true) {
            StripeReader.Page page = stripe.subscriptions(startingAfter);
            report.add("pages", 1);
            report.add("subscriptionsSeen", page.objects().size());
            long watermark = page.readAt().getEpochSecond() - 1;
            List<SubscriptionEntitlement> mapped = new ArrayList<>();
            for (JsonNode object : page.objects()) {
                try {
                    mapped.add(mapper.map(object));
                } catch (SubscriptionEntitlementMapper.UnusableSubscriptionException e) {
                    report.add("errors", 1);
                    LOG.warn("Reconcile {}: Stripe subscription {} cannot be mapped: {}", report.runId(),
                            object.path("id").asText("(no id)"), e.getMessage());
                }
            }
            List<String> ids = page.objects().stream().map(o -> o.path("id").asText()).filter(id -> !id.isEmpty()).toList();
            Plan plan = plan(report, mapped, watermark, seenInMemory != null);
            boolean last = !page.hasMore() || page.lastId().isEmpty();
            if (seenInMemory != null) {
                seenInMemory.addAll(ids);
                plan.countAll(report);
            } else {
                List<ReconcileStore.Outcome> outcomes = checkpoint(report, counters,
                        last ? PHASE_REVOCATIONS : PHASE_SUBSCRIPTIONS, last ? null : page.lastId().get(), ids,
                        plan.corrections);
                plan.count(report, outcomes);
            }
            if (last) {
                return;
            }
            startingAfter = page.lastId().get();
        }
    }

    /** The corrections of one page and the action each stands for. */
    private final class Plan {
        final List<ReconcileStore.Correction> corrections = new ArrayList<>();
        final Map<String, String> actionBySubscription = new HashMap<>();

        void add(ReconcileReport report, SubscriptionEntitlement wanted, long watermark, String action, String changes) {
            corrections.add(new ReconcileStore.Correction(new EventEffect.Subscription(wanted), watermark, counter(action)));
            actionBySubscription.put(wanted.stripeSubscriptionId(), action);
            report.drift(wanted.stripeSubscriptionId(), action, changes);
        }

        /** Plans a correction when the row differs from Stripe's state; counts it unchanged otherwise. */
        void addIfDrifted(ReconcileReport report, JsonNode existing, SubscriptionEntitlement wanted, long watermark) {
            String changes = diff(existing, wanted);
            if (changes.isEmpty()) {
                report.add("unchanged", 1);
            } else {
                add(report, wanted, watermark, action(existing, wanted), changes);
            }
        }

        /** Dry run: every planned correction counts as done. */
        void countAll(ReconcileReport report) {
            actionBySubscription.values().forEach(action -> report.add(counter(action), 1));
        }

        /** Real run: the mutation's outcome decides (a newer event may have won meanwhile). */
        void count(ReconcileReport report, List<ReconcileStore.Outcome> outcomes) {
            for (ReconcileStore.Outcome outcome : outcomes) {
                switch (outcome.outcome()) {
                    case ApplyResult.APPLIED -> report.add(counter(actionBySubscription.get(outcome.stripeSubscriptionId())), 1);
                    case "stale" -> report.add("skippedNewer", 1);
                    case "unmatched" -> report.add("unmatched", 1);
                    default -> report.add("errors", 1);
                }
            }
        }

        private String counter(String action) {
            return switch (action) {
                case "create" -> "created";
                case "revoke" -> "revoked";
                default -> "updated";
            };
        }
    }

    private Plan plan(ReconcileReport report, List<SubscriptionEntitlement> mapped, long watermark, boolean dryRun) {
        Set<String> customers = new LinkedHashSet<>();
        mapped.forEach(m -> customers.add(m.stripeCustomerId()));
        List<String> ids = mapped.stream().map(SubscriptionEntitlement::stripeSubscriptionId).toList();
        ReconcileStore.PageRead read = store.readPage(ids, customers);
        if (!read.customersWithPendingEvents().isEmpty()) {
            // Customers linked to a user since their events were recorded unmatched (by the app, not a checkout):
            // their events apply first, through the webhook's own mutation, then the page is compared with the result.
            // A dry run does not apply them; it compares the page with the rows as they are.
            if (!dryRun) {
                for (String customer : read.customersWithPendingEvents()) {
                    long applied = store.applyPendingForCustomer(customer);
                    report.add("eventsReplayed", applied);
                    LOG.info("Reconcile {} applied {} event(s) recorded unmatched for customer {}, now linked to a user",
                            report.runId(), applied, customer);
                }
                read = store.readPage(ids, customers);
            }
        }
        Plan plan = new Plan();
        for (SubscriptionEntitlement wanted : mapped) {
            JsonNode existing = read.entitlementsBySubscription().get(wanted.stripeSubscriptionId());
            if (existing == null) {
                if (TERMINAL.contains(wanted.status())) {
                    // An ended subscription without a row entitles nothing: no row is created for history.
                    report.add("unchanged", 1);
                } else if (!read.linkedCustomers().contains(wanted.stripeCustomerId())) {
                    // No user for the customer yet: its checkout (or an operator) links it, then events apply.
                    report.add("unmatched", 1);
                } else {
                    plan.add(report, wanted, watermark, "create", describe(wanted));
                }
                continue;
            }
            plan.addIfDrifted(report, existing, wanted, watermark);
        }
        return plan;
    }

    // ---- revocations ---------------------------------------------------------------------------

    private void revokeUnseen(ReconcileReport report, StripeReader stripe, String cursor, Counters counters,
                              Set<String> seenInMemory) throws StripeException {
        String after = cursor;
        while (true) {
            ReconcileStore.UnseenPage unseen = store.listUnseen(seenInMemory == null ? report.runId() : null, after, UNSEEN_PAGE);
            Plan plan = new Plan();
            List<String> checked = new ArrayList<>();
            for (JsonNode entitlement : unseen.entitlements()) {
                String id = entitlement.path("stripeSubscriptionId").asText();
                if (seenInMemory != null && seenInMemory.contains(id)) {
                    continue;
                }
                checked.add(id);
                long watermark = Instant.now().getEpochSecond() - 1;
                Optional<JsonNode> now = stripe.subscription(id);
                if (now.isEmpty()) {
                    SubscriptionEntitlement gone = new SubscriptionEntitlement(id,
                            entitlement.path("stripeCustomerId").asText(), "canceled", entitlement.path("tier").asText(),
                            List.of(), entitlement.path("currentPeriodEnd").isNumber()
                                    ? (long) entitlement.path("currentPeriodEnd").asDouble() : null, false);
                    plan.add(report, gone, watermark, "revoke", "status " + entitlement.path("status").asText()
                            + "→canceled (subscription no longer exists in Stripe)");
                    continue;
                }
                SubscriptionEntitlement wanted;
                try {
                    wanted = mapper.map(now.get());
                } catch (SubscriptionEntitlementMapper.UnusableSubscriptionException e) {
                    report.add("errors", 1);
                    continue;
                }
                // Created after the listing began, or listed under a status filter: compare as usual.
                plan.addIfDrifted(report, entitlement, wanted, watermark);
            }
            String next = unseen.next();
            if (seenInMemory != null) {
                plan.countAll(report);
            } else {
                plan.count(report, checkpoint(report, counters, PHASE_REVOCATIONS, next, checked, plan.corrections));
            }
            if (next == null) {
                return;
            }
            after = next;
        }
    }

    // ---- comparison ----------------------------------------------------------------------------

    private static String action(JsonNode existing, SubscriptionEntitlement wanted) {
        return !TERMINAL.contains(existing.path("status").asText()) && TERMINAL.contains(wanted.status()) ? "revoke" : "update";
    }

    /** The fields of {@code existing} that differ from Stripe's state, as {@code field old→new}; empty when none. */
    static String diff(JsonNode existing, SubscriptionEntitlement wanted) {
        List<String> changes = new ArrayList<>();
        compare(changes, "tier", existing.path("tier").asText(null), wanted.tier());
        compare(changes, "status", existing.path("status").asText(null), wanted.status());
        Long period = existing.path("currentPeriodEnd").isNumber() ? (long) existing.path("currentPeriodEnd").asDouble() : null;
        compare(changes, "currentPeriodEnd", period, wanted.currentPeriodEndMillis());
        compare(changes, "cancelAtPeriodEnd", existing.path("cancelAtPeriodEnd").asBoolean(false), wanted.cancelAtPeriodEnd());
        compare(changes, "stripeCustomerId", existing.path("stripeCustomerId").asText(null), wanted.stripeCustomerId());
        return String.join(", ", changes);
    }

    private static void compare(List<String> changes, String field, Object current, Object wanted) {
        if (!Objects.equals(current, wanted)) {
            changes.add(field + " " + current + "→" + wanted);
        }
    }

    private static String describe(SubscriptionEntitlement wanted) {
        return "new entitlement: tier " + wanted.tier() + ", status " + wanted.status()
                + (wanted.cancelAtPeriodEnd() ? ", cancels at period end" : "");
    }

    private void pruneSeen() {
        try {
            store.pruneSeen(1000);
        } catch (RuntimeException e) {
            LOG.warn("Reconcile could not prune finished runs' seen markers ({}); the next run prunes them",
                    OperatorMessages.describe(e));
        }
    }
}
