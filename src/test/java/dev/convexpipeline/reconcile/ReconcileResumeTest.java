package dev.convexpipeline.reconcile;

import dev.convexpipeline.testing.CapturedLogs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static dev.convexpipeline.reconcile.FakeStripe.subscription;
import static dev.convexpipeline.reconcile.ReconcileFixture.DAY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A run whose instance stops after two pages (it hangs on the third, its lease runs out) is taken
 * over by another instance, which resumes from the cursor and ends with exactly what an
 * uninterrupted run produces; the stopped instance, when it wakes up, cannot write any more.
 */
class ReconcileResumeTest {
    private static final int SUBSCRIPTIONS = 350;
    private static final List<String> COUNTED = List.of("subscriptionsSeen", "created", "updated", "revoked", "unchanged",
            "unmatched", "skippedNewer", "errors", "pages");

    @TempDir
    Path work;

    /** 350 subscriptions (4 pages) with drift spread over every page, and rows whose subscription is gone. */
    private static void seed(ReconcileFixture fx, long base) {
        String user = fx.linkedUser("user-1", "cus_1");
        long period = base + 20 * DAY;
        for (int i = 0; i < SUBSCRIPTIONS; i++) {
            String id = String.format("sub_%04d", i);
            boolean pro = i % 2 == 0;
            fx.stripe.put(subscription(id, "cus_1", i % 11 == 0 ? "canceled" : "active", pro ? "price_pro" : "price_basic",
                    pro ? "pro_monthly" : null, base - 30 * DAY + i, period, i % 7 == 0));
            switch (i % 5) {
                case 0 -> { } // missing row: created (or left alone when canceled)
                case 1 -> fx.entitlement(user, id, "cus_1", pro ? "basic" : "pro", "active", period, i % 7 == 0, base - DAY);
                case 2 -> fx.entitlement(user, id, "cus_1", pro ? "pro" : "basic", "past_due", period, i % 7 == 0, base - DAY);
                default -> fx.entitlement(user, id, "cus_1", pro ? "pro" : "basic", i % 11 == 0 ? "canceled" : "active",
                        period, i % 7 == 0, base - DAY);
            }
        }
        for (int i = 0; i < 5; i++) {
            fx.entitlement(user, "sub_gone_" + i, "cus_1", "pro", "active", period, false, base - DAY);
        }
    }

    @Test
    void aRunKilledAfterSomePagesResumesAndEndsAsAnUninterruptedRun() throws Exception {
        long base = ReconcileFixture.now();
        Reference uninterrupted = uninterruptedRun(fx -> seed(fx, base));
        assertThat(uninterrupted.report().status()).isEqualTo("completed");
        assertThat(uninterrupted.report().count("created") + uninterrupted.report().count("updated")
                + uninterrupted.report().count("revoked")).isGreaterThan(200);

        try (ReconcileFixture fx = new ReconcileFixture()) {
            seed(fx, base);
            ReconcileSettings shortLease = new ReconcileSettings(FakeStripe.API_KEY, fx.stripe.apiBase(), 1000, 5,
                    Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(1),
                    ReconcileSettings.MAX_EVENTS_LOOKBACK, Duration.ofMinutes(5), Duration.ofSeconds(30));
            CountDownLatch stuck = fx.stripe.holdSubscriptionsPage(3);
            Reconciler first = fx.reconciler(shortLease);
            CompletableFuture<ReconcileReport> killed = CompletableFuture.supplyAsync(() -> first.run("test", false));
            assertThat(stuck.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(fx.state().path("cursor").asText()).as("checkpointed after page 2").isEqualTo("sub_0150");
            // The behaviour under test: the stuck run's 1 s lease runs out, so the next run may take it over.
            awaitLeaseRunOut(fx, 1000);

            String previousOwner = fx.state().path("owner").asText();
            ReconcileReport resumed;
            try (CapturedLogs logs = new CapturedLogs()) {
                resumed = fx.reconciler(shortLease).run("test", false);
                assertThat(logs.text()).as("the resume log names the owner that stopped")
                        .contains("its previous owner " + previousOwner + " stopped checking in");
            }

            assertThat(resumed.status()).isEqualTo("completed");
            assertThat(resumed.resumes()).isEqualTo(1);
            assertThat(fx.entitlements()).isEqualTo(uninterrupted.entitlements());
            for (String counter : COUNTED) {
                assertThat(resumed.count(counter)).as(counter).isEqualTo(uninterrupted.report().count(counter));
            }
            // Pages answered: 1 and 2 once (the held third request never answered), then the resumed run from the cursor.
            assertThat(fx.stripe.startingAfters()).containsExactly("null", "sub_0250", "sub_0150", "sub_0050");

            fx.stripe.release();
            ReconcileReport late = killed.get(60, TimeUnit.SECONDS);
            assertThat(late.status()).as("the stopped instance lost its run and wrote nothing").isEqualTo("abandoned");
            assertThat(fx.entitlements()).isEqualTo(uninterrupted.entitlements());
            assertThat(fx.state().path("status").asText()).isEqualTo("completed");
            assertThat(fx.state().path("lastCompletedRunId").asText()).isEqualTo(resumed.runId());
        }
    }

    @Test
    void aReconcileProcessKilledMidRunIsResumedByTheNextTrigger() throws Exception {
        long base = ReconcileFixture.now();
        Reference uninterrupted = uninterruptedRun(fx -> seedMany(fx, base));

        try (ReconcileFixture fx = new ReconcileFixture()) {
            seedMany(fx, base);
            Path config = work.resolve("application.properties");
            Files.writeString(config, Files.readString(Path.of("config/application.properties")) + "\n"
                    + "convex.url = " + fx.emulator.url() + "\n"
                    + "convex.admin-key = " + fx.emulator.adminKey() + "\n"
                    + "stripe.secret-key = " + FakeStripe.API_KEY + "\n"
                    + "stripe.tier-mapping = " + ReconcileFixture.TIER_MAPPING + "\n"
                    + "reconcile.stripe-api-base = " + fx.stripe.apiBase() + "\n"
                    // Slow enough to be killed mid-run: 20 pages at 5 requests/s.
                    + "reconcile.stripe-rate-limit = 5\n"
                    + "reconcile.lease-ms = 1000\n");
            Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                    "-cp", System.getProperty("java.class.path"), "dev.convexpipeline.PipelineCli", "reconcile",
                    "--config", config.toString())
                    .directory(new File(System.getProperty("user.dir")))
                    .redirectErrorStream(true).redirectOutput(work.resolve("cli.out").toFile()).start();
            try {
                await("the CLI run checkpointing its third page").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .failFast("the CLI exited before it was killed", () -> assertThat(cli.isAlive())
                                .as("CLI still running; its output: %s", Files.readString(work.resolve("cli.out"))).isTrue())
                        .until(() -> fx.state() != null && fx.state().path("cursor").isTextual()
                                && fx.state().path("report").path("pages").asLong() >= 3);
            } finally {
                cli.destroyForcibly().waitFor();
            }
            String cursorAtKill = fx.state().path("cursor").asText();
            assertThat(fx.state().path("status").asText()).isEqualTo("running");
            // The behaviour under test: the killed process's 1 s lease runs out, so the next trigger may resume its run.
            awaitLeaseRunOut(fx, 1000);

            ReconcileSettings shortLease = new ReconcileSettings(FakeStripe.API_KEY, fx.stripe.apiBase(), 1000, 5,
                    Duration.ofMillis(20), Duration.ofMillis(200), Duration.ofSeconds(1),
                    ReconcileSettings.MAX_EVENTS_LOOKBACK, Duration.ofMinutes(5), Duration.ofSeconds(30));
            int listedBefore = fx.stripe.subscriptionListRequests();
            ReconcileReport resumed = fx.reconciler(shortLease).run("test", false);

            assertThat(resumed.status()).isEqualTo("completed");
            assertThat(resumed.resumes()).isEqualTo(1);
            assertThat(resumed.trigger()).as("the killed run's report, carried on").isEqualTo("cli");
            assertThat(fx.stripe.startingAfters().get(listedBefore)).as("resumed from the last written page")
                    .isEqualTo(cursorAtKill);
            assertThat(fx.stripe.subscriptionListRequests() - listedBefore).isLessThan(20);
            assertThat(fx.entitlements()).isEqualTo(uninterrupted.entitlements());
            for (String counter : COUNTED) {
                assertThat(resumed.count(counter)).as(counter).isEqualTo(uninterrupted.report().count(counter));
            }
        }
    }

    /** What one uninterrupted run makes of the same seed: the report and entitlements a resumed run must match. */
    private record Reference(ReconcileReport report, Map<String, String> entitlements) {
    }

    private static Reference uninterruptedRun(Consumer<ReconcileFixture> seed) throws Exception {
        try (ReconcileFixture reference = new ReconcileFixture()) {
            seed.accept(reference);
            return new Reference(reference.reconciler().run("test", false), reference.entitlements());
        }
    }

    /** Until the stored run's last heartbeat is older than {@code leaseMs}: then another owner may take it over. */
    private static void awaitLeaseRunOut(ReconcileFixture fx, long leaseMs) {
        await("the stopped run's lease running out").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> System.currentTimeMillis() - fx.state().path("heartbeatAt").asLong() > leaseMs);
    }

    /** 2,000 subscriptions (20 pages) with drift on every page. */
    private static void seedMany(ReconcileFixture fx, long base) {
        String user = fx.linkedUser("user-1", "cus_1");
        long period = base + 20 * DAY;
        for (int i = 0; i < 2000; i++) {
            String id = String.format("sub_%05d", i);
            fx.stripe.put(subscription(id, "cus_1", "active", i % 2 == 0 ? "price_pro" : "price_basic",
                    i % 2 == 0 ? "pro_monthly" : null, base - 30 * DAY + i, period, false));
            if (i % 4 != 0) {
                fx.entitlement(user, id, "cus_1", i % 4 == 1 ? "team" : (i % 2 == 0 ? "pro" : "basic"), "active", period,
                        false, base - DAY);
            }
        }
    }
}
