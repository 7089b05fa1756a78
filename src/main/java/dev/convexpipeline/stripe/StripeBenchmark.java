package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.sun.net.httpserver.HttpServer;
import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.emulator.ConvexEmulator;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code stripe bench}: signed Stripe events at fixed offered rates, open loop — every request has
 * a scheduled send time and its latency is measured from that time, so a stalled server shows up
 * as latency instead of silently lowering the rate (no coordinated omission) — plus a max-throughput
 * run with a fixed number of requests in flight. The same load goes, in the same run, to a bare JDK
 * {@link HttpServer} that only verifies the signature and answers 200: the floor the machine allows.
 *
 * <p>By default everything runs in this JVM like the sandbox: a Convex emulator (in memory, with
 * linked users), the real pipeline (config/application.properties, routes/) and the verify-only
 * server. With {@code --target} the pipeline is an already running one (e.g. the sandbox).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark the Stripe webhook: signed events at fixed rates (open loop) and at max throughput,"
                + " next to a verify-only JDK HTTP server.")
public final class StripeBenchmark implements java.util.concurrent.Callable<Integer> {
    private static final String BENCH_SECRET = "whsec_benchmark_only";
    /** A request without an answer by then counts as failed, so a stuck server cannot stall the benchmark. */
    private static final long REQUEST_TIMEOUT_MS = 30_000;
    /**
     * Below the JDK HttpServer's idle-connection limit (200): above it the server closes pooled
     * connections under the client and requests are lost, which would measure the harness, not the server.
     */
    private static final int MAX_CONNECTIONS = 128;
    private static final int LOST_AFTER_SECONDS = 15;
    private static final int WARMUP_SLICE_SECONDS = 5;
    /** The JIT counts as settled once it compiled for less than this share of a warm-up slice. */
    private static final int JIT_SETTLED_PERCENT = 3;

    @ParentCommand
    StripeCommand parent;

    @Option(names = "--rates", split = ",", defaultValue = "100,1000",
            description = "Offered rates in events/s (default ${DEFAULT-VALUE}).")
    List<Integer> rates;

    @Option(names = "--duration", defaultValue = "10", description = "Seconds per fixed-rate run (default ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--max-seconds", defaultValue = "10", description = "Seconds of the max-throughput run; 0 skips it (default ${DEFAULT-VALUE}).")
    int maxSeconds;

    @Option(names = "--concurrency", defaultValue = "64", description = "Requests in flight in the max-throughput run (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--warmup", defaultValue = "120", description = "Most seconds of unmeasured load before each measured run,"
            + " at that run's own rate; it ends sooner once the JIT has settled (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--customers", defaultValue = "1000", description = "Distinct customers/subscriptions the events cycle through (default ${DEFAULT-VALUE}).")
    int customers;

    @Option(names = "--target", description = "Webhook URL of a running pipeline (e.g. the sandbox's http://127.0.0.1:8080/stripe/webhook);"
            + " default: start emulator + pipeline in this JVM.")
    URI target;

    @Option(names = "--convex-stub", description = "Answer the pipeline's Convex calls with a constant 'applied' from a"
            + " trivial in-process server instead of the emulator: measures the pipeline alone, without any ledger.")
    boolean convexStub;

    @Option(names = "--emulator-in-process", description = "Run the Convex emulator inside this JVM, sharing the"
            + " pipeline's heap and GC, instead of in a JVM of its own as a real Convex backend runs.")
    boolean emulatorInProcess;

    @Option(names = "--link-customers", description = "With --target: first create the benchmark's users and link them to"
            + " its customers in the target's Convex (CONVEX_URL, CONVEX_SERVICE_TOKEN), so events are applied as without"
            + " --target instead of recorded unmatched, each with an INFO line. Writes to that deployment: not for production.")
    boolean linkTargetCustomers;

    @Option(names = "--secret", description = "Webhook secret of --target (default: STRIPE_WEBHOOK_SECRET from the config).")
    String secret;

    private final AtomicLong eventCounter = new AtomicLong();
    /** The load generator's one event loop: every client call is made on it (see {@link #send}). */
    private io.vertx.core.Context clientContext;
    private StripeMetrics pipelineMetrics;
    private final java.util.concurrent.atomic.AtomicReference<String> firstFailure = new java.util.concurrent.atomic.AtomicReference<>();
    private final String runId = Long.toString(System.currentTimeMillis(), 36);

    /** One run's figures. */
    record Result(String server, String load, int sent, int ok, int failed, double seconds, long[] latenciesNanos,
                  long jitMillis) {
        double perSecond() {
            return ok / seconds;
        }

        double percentileMillis(double p) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            int index = (int) Math.ceil(p / 100.0 * latenciesNanos.length) - 1;
            return latenciesNanos[Math.max(0, Math.min(latenciesNanos.length - 1, index))] / 1e6;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = parent.out();
        if (concurrency < 1 || concurrency > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("--concurrency must be between 1 and " + MAX_CONNECTIONS);
        }
        List<AutoCloseable> resources = new ArrayList<>();
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
        try {
            URI pipelineUri;
            String pipelineSecret;
            if (target == null) {
                Convex convex = emulatorInProcess ? Convex.inProcess() : Convex.ownProcess();
                resources.add(0, convex);
                String convexUrl = convex.url();
                if (convexStub) {
                    io.vertx.core.http.HttpServer stub = convexStub(vertx);
                    convexUrl = "http://127.0.0.1:" + stub.actualPort();
                }
                try (ConvexClient seeding = new ConvexClient(ConvexClientConfig.of(convex.url(), convex.adminKey()))) {
                    linkCustomers(seeding);
                }
                int port = freePort();
                Map<String, String> overrides = new HashMap<>();
                overrides.put("camel.server.port", String.valueOf(port));
                overrides.put("camel.management.port", String.valueOf(freePort()));
                overrides.put("convex.url", convexUrl);
                overrides.put("convex.admin-key", convex.adminKey());
                overrides.put("stripe.webhook-secret", BENCH_SECRET);
                overrides.put("stripe.tier-mapping", "price_bench=pro");
                PipelineRuntime pipeline = PipelineRuntime.create(parent.configFile(), overrides).start();
                resources.add(0, pipeline);
                pipelineMetrics = pipeline.camelContext().getRegistry().lookupByNameAndType("stripeMetrics", StripeMetrics.class);
                pipelineUri = URI.create("http://127.0.0.1:" + port + "/stripe/webhook");
                pipelineSecret = BENCH_SECRET;
            } else {
                pipelineUri = target;
                pipelineSecret = secret != null ? secret : parent.stripeSettings().webhookSecrets().split(",")[0].trim();
                if (pipelineSecret.isEmpty()) {
                    throw new IllegalArgumentException("--target needs --secret or STRIPE_WEBHOOK_SECRET");
                }
                if (linkTargetCustomers) {
                    // The target's Convex: CONVEX_URL, and CONVEX_SERVICE_TOKEN (named in the error when unset).
                    try (ConvexClient seeding = dev.convexpipeline.convex.ConvexSettings.from(parent.settings()).openClient()) {
                        linkCustomers(seeding);
                    }
                }
            }
            HttpServer bare = verifyOnlyServer();
            resources.add(0, () -> bare.stop(0));
            URI bareUri = URI.create("http://127.0.0.1:" + bare.getAddress().getPort() + "/stripe/webhook");

            HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                    new PoolOptions().setHttp1MaxSize(MAX_CONNECTIONS));
            clientContext = vertx.getOrCreateContext();
            List<Result> results = new ArrayList<>();
            for (int rate : rates) {
                results.add(warmThenMeasure(out, "pipeline", rate + "/s", durationSeconds,
                        s -> openLoop(client, "pipeline", pipelineUri, pipelineSecret, rate, s)));
                results.add(warmThenMeasure(out, "verify-only", rate + "/s", durationSeconds,
                        s -> openLoop(client, "verify-only", bareUri, BENCH_SECRET, rate, s)));
            }
            if (maxSeconds > 0) {
                results.add(warmThenMeasure(out, "pipeline", "max throughput", maxSeconds,
                        s -> closedLoop(client, "pipeline", pipelineUri, pipelineSecret, s)));
                results.add(warmThenMeasure(out, "verify-only", "max throughput", maxSeconds,
                        s -> closedLoop(client, "verify-only", bareUri, BENCH_SECRET, s)));
            }
            out.printf("%nStripe webhook benchmark (%d cores, %s; JIT compiler threads %s; latency from each request's"
                            + " scheduled send time)%n", Runtime.getRuntime().availableProcessors(), target != null ? target
                            : convexStub ? "pipeline in this JVM, Convex replaced by a constant stub"
                            : emulatorInProcess ? "emulator + pipeline in this JVM" : "pipeline in this JVM, emulator in its own",
                    jitPriorityOptions().size() == 2 ? "at low priority" : "at normal priority");
            out.printf("%-12s %-22s %8s %8s %7s %12s %9s %9s %9s %8s%n",
                    "server", "load", "sent", "ok", "failed", "events/s", "p50 ms", "p99 ms", "max ms", "JIT ms");
            for (Result r : results) {
                out.printf(Locale.ROOT, "%-12s %-22s %8d %8d %7d %12.0f %9.2f %9.2f %9.2f %8d%n", r.server(), r.load(), r.sent(),
                        r.ok(), r.failed(), r.perSecond(), r.percentileMillis(50), r.percentileMillis(99),
                        r.percentileMillis(100), r.jitMillis());
            }
            if (!inside.isEmpty()) {
                out.printf("%nInside the pipeline, per measured run (its own histograms, bucket upper bounds):%n");
                inside.forEach(out::println);
            }
            if (pipelineMetrics != null) {
                // Where the pipeline's time goes: the Convex mutation versus the whole acknowledgement.
                io.micrometer.core.instrument.Timer convex = pipelineMetrics.registry().find("stripe_convex_call")
                        .tag("function", "stripe:applyEvent").timer();
                io.micrometer.core.instrument.Timer ack = pipelineMetrics.registry().find("stripe_webhook_ack").timer();
                if (convex != null && ack != null) {
                    out.printf(Locale.ROOT, "%nInside the pipeline (whole run): %d acks, mean %.2f ms, max %.1f ms;"
                                    + " stripe:applyEvent mean %.2f ms, max %.1f ms%n", ack.count(),
                            ack.mean(TimeUnit.MILLISECONDS), ack.max(TimeUnit.MILLISECONDS),
                            convex.mean(TimeUnit.MILLISECONDS), convex.max(TimeUnit.MILLISECONDS));
                }
            }
            out.flush();
            return 0;
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            for (AutoCloseable resource : resources) {
                resource.close();
            }
        }
    }

    /** Users bench|0..n linked to customers cus_bench_0..n, whom the events name. */
    private void linkCustomers(ConvexClient convex) {
        for (int i = 0; i < customers; i++) {
            String userId = convex.mutation("users:upsert", JsonNodeFactory.instance.objectNode()
                    .put("authSubject", "bench|" + i)).textValue();
            convex.mutation("users:linkStripeCustomer", JsonNodeFactory.instance.objectNode()
                    .put("userId", userId).put("stripeCustomerId", "cus_bench_" + i));
        }
    }

    /** One load (open or closed loop) for the given number of seconds. */
    @FunctionalInterface
    private interface Load {
        Result run(int seconds) throws InterruptedException;
    }

    /**
     * Runs {@code load} unmeasured in slices of {@value #WARMUP_SLICE_SECONDS} s until the JIT has
     * settled or {@code --warmup} seconds have passed, then measured. A pipeline runs for days: its
     * latency is that of compiled code, and on two cores the JIT compiling beside the request path
     * shows as latency (at 100/s it kept compiling for about a minute). The measured run's own JIT
     * time is printed, so an unsettled run is visible.
     */
    private Result warmThenMeasure(PrintWriter out, String server, String load, int seconds, Load run)
            throws InterruptedException {
        out.printf("%s at %s: warming up ...", server, load);
        out.flush();
        int warmed = 0;
        boolean settled = false;
        while (warmed < warmupSeconds && !settled) {
            int slice = Math.min(WARMUP_SLICE_SECONDS, warmupSeconds - warmed);
            long jit = run.run(slice).jitMillis();
            warmed += slice;
            // A --target pipeline's JIT is not this JVM's: it warms up for the whole --warmup.
            settled = target == null && jit >= 0 && jit < slice * 1000L * JIT_SETTLED_PERCENT / 100;
        }
        out.printf(" %d s (%s); measuring %d s%n", warmed, settled ? "JIT settled"
                : target != null ? "the target's JIT is not watched" : "JIT still compiling", seconds);
        out.flush();
        Map<String, long[]> before = server.equals("pipeline") ? insideCounts() : Map.of();
        Result result = run.run(seconds);
        if (!before.isEmpty()) {
            inside.add(String.format(Locale.ROOT, "%-22s %s", load, insideBreakdown(before, insideCounts())));
        }
        return result;
    }

    /**
     * Where a measured run's time went inside the pipeline, from its own histograms (bucket upper
     * bounds, so "≤"): from receive to answer (ack, route steps included), and the Convex mutation in it.
     * What the load generator measured beyond ack is the HTTP server and its thread hand-offs.
     */
    private String insideBreakdown(Map<String, long[]> before, Map<String, long[]> after) {
        StringBuilder text = new StringBuilder();
        for (String timer : INSIDE_TIMERS) {
            long[] from = before.get(timer);
            long[] to = after.get(timer);
            if (from == null || to == null) {
                continue;
            }
            long[] delta = new long[to.length];
            for (int i = 0; i < to.length; i++) {
                delta[i] = to[i] - (i < from.length ? from[i] : 0);
            }
            text.append(String.format(Locale.ROOT, "%s p50 ≤ %.2f ms, p99 ≤ %.2f ms;  ", timer,
                    bucketPercentile(timer, delta, 50), bucketPercentile(timer, delta, 99)));
        }
        return text.toString().strip();
    }

    private static final List<String> INSIDE_TIMERS = List.of("stripe_webhook_ack", "stripe_convex_call");
    /** Per measured pipeline run: the inside-the-pipeline breakdown, printed below the table. */
    private final List<String> inside = new ArrayList<>();
    private final Map<String, double[]> bucketBounds = new HashMap<>();

    /** Cumulative histogram bucket counts of the pipeline's ack and Convex-call timers (all tags summed). */
    private Map<String, long[]> insideCounts() {
        Map<String, long[]> counts = new HashMap<>();
        if (pipelineMetrics == null) {
            return counts;
        }
        for (String name : INSIDE_TIMERS) {
            for (io.micrometer.core.instrument.Timer timer : pipelineMetrics.registry().find(name).timers()) {
                io.micrometer.core.instrument.distribution.CountAtBucket[] buckets = timer.takeSnapshot().histogramCounts();
                long[] sum = counts.computeIfAbsent(name, ignored -> new long[buckets.length]);
                bucketBounds.computeIfAbsent(name, ignored -> java.util.Arrays.stream(buckets)
                        .mapToDouble(b -> b.bucket(TimeUnit.MILLISECONDS)).toArray());
                for (int i = 0; i < Math.min(sum.length, buckets.length); i++) {
                    sum[i] += (long) buckets[i].count();
                }
            }
        }
        return counts;
    }

    /** The upper bound of the bucket holding the {@code p}th percentile (counts per bucket are cumulative). */
    private double bucketPercentile(String timer, long[] cumulative, double p) {
        double[] bounds = bucketBounds.get(timer);
        long total = cumulative.length == 0 ? 0 : cumulative[cumulative.length - 1];
        if (total == 0 || bounds == null) {
            return Double.NaN;
        }
        long rank = (long) Math.ceil(p / 100.0 * total);
        for (int i = 0; i < cumulative.length; i++) {
            if (cumulative[i] >= rank) {
                return bounds[i];
            }
        }
        return Double.POSITIVE_INFINITY;
    }

    /** Sends {@code rate × seconds} requests, each at its scheduled instant, whatever the answers do. */
    private Result openLoop(HttpClient client, String server, URI uri, String signingSecret, int rate, int seconds)
            throws InterruptedException {
        long jitBefore = jitMillis();
        int total = rate * seconds;
        long[] latencies = new long[total];
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(total);
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 20_000_000L;
        AtomicLong lastDone = new AtomicLong(start);
        for (int i = 0; i < total; i++) {
            long scheduled = start + i * interval;
            long wait;
            while ((wait = scheduled - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            int slot = i;
            send(client, uri, signingSecret, (success) -> {
                long now = System.nanoTime();
                latencies[slot] = now - scheduled;
                (success ? ok : failed).incrementAndGet();
                lastDone.accumulateAndGet(now, Math::max);
                done.countDown();
            });
        }
        // A request still unanswered long after the run counts as failed (lost), so one stuck connection
        // cannot hang the benchmark; its latency stays at the wait, i.e. it is not hidden.
        if (!done.await(seconds + LOST_AFTER_SECONDS, TimeUnit.SECONDS)) {
            long now = System.nanoTime();
            for (int i = 0; i < total; i++) {
                if (latencies[i] == 0) {
                    latencies[i] = now - (start + i * interval);
                }
            }
            failed.addAndGet((int) done.getCount());
        }
        return result(server, rate + "/s for " + seconds + " s", total, ok, failed, start, lastDone.get(), latencies,
                jitMillis() - jitBefore);
    }

    /** Keeps {@code concurrency} requests in flight for {@code seconds}: the sustainable maximum. */
    private Result closedLoop(HttpClient client, String server, URI uri, String signingSecret, int seconds)
            throws InterruptedException {
        long jitBefore = jitMillis();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger sent = new AtomicInteger();
        Semaphore inFlight = new Semaphore(concurrency);
        long start = System.nanoTime();
        long end = start + TimeUnit.SECONDS.toNanos(seconds);
        AtomicLong lastDone = new AtomicLong(start);
        while (System.nanoTime() < end) {
            if (!inFlight.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                continue;
            }
            long begin = System.nanoTime();
            sent.incrementAndGet();
            send(client, uri, signingSecret, success -> {
                long now = System.nanoTime();
                latencies.add(now - begin);
                (success ? ok : failed).incrementAndGet();
                lastDone.accumulateAndGet(now, Math::max);
                inFlight.release();
            });
        }
        if (!inFlight.tryAcquire(concurrency, LOST_AFTER_SECONDS, TimeUnit.SECONDS)) {
            failed.addAndGet(concurrency - inFlight.availablePermits());
        }
        long[] array = latencies.stream().mapToLong(Long::longValue).toArray();
        return result(server, "max, " + concurrency + " in flight", sent.get(), ok, failed, start, lastDone.get(), array,
                jitMillis() - jitBefore);
    }

    private static Result result(String server, String load, int sent, AtomicInteger ok, AtomicInteger failed, long start,
                                 long lastDone, long[] latencies, long jitMillis) {
        long[] sorted = latencies.clone();
        Arrays.sort(sorted);
        return new Result(server, load, sent, ok.get(), failed.get(), Math.max(1e-9, (lastDone - start) / 1e9), sorted,
                jitMillis);
    }

    /**
     * Time the JIT compilers have spent so far. Printed per run: a run during which the JIT still
     * compiles much measures warm-up, not the steady state of a long-running pipeline.
     */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    private void send(HttpClient client, URI uri, String signingSecret, java.util.function.Consumer<Boolean> onDone) {
        long n = eventCounter.incrementAndGet();
        int customer = (int) (n % customers);
        long created = System.currentTimeMillis() / 1000;
        byte[] body = event(n, customer, created);
        String signature = StripeSigner.header(signingSecret, created, body);
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(uri.getHost())
                .setTimeout(REQUEST_TIMEOUT_MS)
                .setPort(uri.getPort()).setURI(uri.getRawPath())
                .putHeader("Content-Type", "application/json; charset=utf-8")
                .putHeader("Stripe-Signature", signature);
        // On the client's event loop, not the scheduling thread: called from a foreign thread, Vert.x's
        // HttpClient now and then never completed a request whose response had arrived (seen in a packet
        // capture: 1-6 per 1,000 requests, to the pipeline and the verify-only server alike).
        clientContext.runOnContext(ignored -> client.request(options)
                .compose(request -> request.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(received -> response.statusCode() == 200))
                .onComplete(ar -> {
                    if (ar.failed() && firstFailure.compareAndSet(null, ar.cause().toString())) {
                        System.err.println("bench: first failed request: " + ar.cause());
                    }
                    onDone.accept(ar.succeeded() && ar.result());
                }));
    }

    private byte[] event(long n, int customer, long created) {
        return ("{\"id\":\"evt_bench_" + runId + "_" + n + "\",\"object\":\"event\",\"api_version\":\"2025-03-31.basil\","
                + "\"created\":" + created + ",\"livemode\":false,\"pending_webhooks\":1,"
                + "\"type\":\"customer.subscription.updated\",\"data\":{\"object\":{\"id\":\"sub_bench_" + customer
                + "\",\"object\":\"subscription\",\"customer\":\"cus_bench_" + customer + "\",\"status\":\"active\","
                + "\"cancel_at_period_end\":false,\"items\":{\"object\":\"list\",\"data\":[{\"id\":\"si_bench_" + customer
                + "\",\"current_period_end\":" + (created + 2_592_000) + ",\"price\":{\"id\":\"price_bench\","
                + "\"lookup_key\":\"bench_monthly\",\"product\":\"prod_bench\"}}]}},\"previous_attributes\":{}}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[] OK_BODY = "{\"received\":true}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] REJECTED_BODY = "{\"error\":\"signature\"}".getBytes(StandardCharsets.UTF_8);

    /** A Convex stand-in that answers every mutation with {@code applied} at once (for --convex-stub). */
    private static io.vertx.core.http.HttpServer convexStub(Vertx vertx) throws Exception {
        Buffer answer = Buffer.buffer("{\"status\":\"success\",\"value\":{\"outcome\":\"applied\",\"reason\":null}}");
        return vertx.createHttpServer().requestHandler(request -> request.body().onComplete(ignored ->
                        request.response().putHeader("Content-Type", "application/json").end(answer)))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** The Convex backend the pipeline under test talks to: the emulator, in its own JVM by default. */
    private interface Convex extends AutoCloseable {
        String url();

        String adminKey();

        static Convex inProcess() {
            ConvexEmulator emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
            return new Convex() {
                public String url() {
                    return emulator.url();
                }

                public String adminKey() {
                    return emulator.adminKey();
                }

                public void close() {
                    emulator.close();
                }
            };
        }

        /** {@code emulator} in a child JVM: its heap, GC pauses and JIT are not the pipeline's, as in production. */
        static Convex ownProcess() throws Exception {
            byte[] secret = new byte[32];
            new java.security.SecureRandom().nextBytes(secret);
            String key = ConvexEmulator.DEFAULT_INSTANCE_NAME + "|" + java.util.HexFormat.of().formatHex(secret);
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx1g"));
            // Same JIT thread priority as this JVM, so both JVMs on the shared cores run alike.
            command.addAll(jitPriorityOptions());
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), dev.convexpipeline.PipelineCli.class.getName(),
                    "emulator", "--port", String.valueOf(port)));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD);
            // The key goes in the environment, not the command line, which other users can read.
            builder.environment().put("CONVEX_ADMIN_KEY", key);
            Process process = builder.start();
            process.getOutputStream().close();
            String url = "http://127.0.0.1:" + port;
            Convex convex = new Convex() {
                public String url() {
                    return url;
                }

                public String adminKey() {
                    return key;
                }

                public void close() throws InterruptedException {
                    process.destroy();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            };
            return awaitListening(convex, process);
        }

        private static Convex awaitListening(Convex convex, Process process) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("The emulator JVM exited with " + process.exitValue() + " before it listened");
                }
                try (java.net.Socket probe = new java.net.Socket("127.0.0.1", URI.create(convex.url()).getPort())) {
                    return convex;
                } catch (java.io.IOException notYet) {
                    Thread.sleep(100);
                }
            }
            convex.close();
            throw new IllegalStateException("The emulator JVM did not listen on " + convex.url() + " within 60 s");
        }
    }

    /**
     * This JVM's options that lower the JIT compiler threads' priority (README "Benchmark"): on two
     * cores a compiling thread otherwise holds a core that a woken request thread then waits for, a
     * whole 4 ms scheduler tick on this kernel.
     */
    static List<String> jitPriorityOptions() {
        return java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(option -> option.startsWith("-XX:ThreadPriorityPolicy=") || option.startsWith("-XX:CompilerThreadPriority="))
                .toList();
    }

    /** The comparison floor: read the body, verify the signature, answer 200 — nothing else. */
    private static HttpServer verifyOnlyServer() throws Exception {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed
        // ACK and every answer waits ~40 ms: that would measure Nagle, not the server.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        WebhookSignatureVerifier verifier = WebhookSignatureVerifier.fromConfig(BENCH_SECRET, Duration.ofSeconds(300));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
        server.createContext("/stripe/webhook", exchange -> {
            int status;
            try (InputStream in = exchange.getRequestBody()) {
                verifier.verify(in.readAllBytes(), exchange.getRequestHeaders().getFirst("Stripe-Signature"));
                status = 200;
            } catch (WebhookRejectedException e) {
                status = 400;
            }
            // A small JSON body like the pipeline's answer.
            byte[] answer = status == 200 ? OK_BODY : REJECTED_BODY;
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.setExecutor(Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors()));
        server.start();
        return server;
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
