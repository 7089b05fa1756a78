package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A local Stripe API for reconcile's tests, on the JDK's HttpServer, used by stripe-java through
 * {@code setApiBase}. It honours what reconcile relies on: list objects ({@code object:"list"},
 * {@code url}, {@code has_more}, {@code data}) paged with {@code limit}/{@code starting_after}
 * newest first, {@code status} (default excludes canceled; {@code all}), {@code expand[]} of prices,
 * {@code GET /v1/subscriptions/<id>} with a 404 error body, {@code GET /v1/events} with
 * {@code created[gt]} and {@code types[]}, bearer auth, Stripe error bodies; and for the tests it
 * injects 429 ({@code Retry-After}, {@code Stripe-Should-Retry}) and 5xx, counts requests, and can
 * hold one subscriptions page until released (a process "killed" mid-run).
 */
final class FakeStripe implements AutoCloseable {
    static final String API_KEY = "sk_test_fake_reconcile";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ENDED = Set.of("canceled", "incomplete_expired");

    /** One injected answer instead of the real one; {@link #PASS} lets a request through. */
    record Fault(int status, Map<String, String> headers) {
        static final Fault PASS = new Fault(0, Map.of());

        static Fault throttle(String retryAfter) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("Stripe-Should-Retry", "true");
            if (retryAfter != null) {
                headers.put("Retry-After", retryAfter);
            }
            return new Fault(429, headers);
        }

        static Fault serverError() {
            return new Fault(500, Map.of());
        }
    }

    private final HttpServer server;
    private final Map<String, ObjectNode> subscriptions = new ConcurrentHashMap<>();
    private final List<ObjectNode> events = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger subscriptionListRequests = new AtomicInteger();
    private final AtomicInteger eventListRequests = new AtomicInteger();
    private final AtomicInteger retrieveRequests = new AtomicInteger();
    private final AtomicInteger throttled = new AtomicInteger();
    private final AtomicInteger expandedPrices = new AtomicInteger();
    private final List<String> startingAfters = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<String> eventQueries = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<Hold> hold = new AtomicReference<>();

    private record Hold(int listRequest, CountDownLatch reached, CountDownLatch release) {
    }

    FakeStripe() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    String apiBase() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        Hold h = hold.getAndSet(null);
        if (h != null) {
            h.release().countDown();
        }
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    // ---- state ---------------------------------------------------------------------------------

    void put(ObjectNode subscription) {
        subscriptions.put(subscription.path("id").asText(), subscription);
    }

    void remove(String subscriptionId) {
        subscriptions.remove(subscriptionId);
    }

    void addEvent(ObjectNode event) {
        events.add(event);
    }

    void inject(Fault... injected) {
        faults.addAll(List.of(injected));
    }

    /** The {@code listRequest}-th subscriptions list request (1-based) waits until {@link #release()}, then fails 500. */
    CountDownLatch holdSubscriptionsPage(int listRequest) {
        Hold h = new Hold(listRequest, new CountDownLatch(1), new CountDownLatch(1));
        hold.set(h);
        return h.reached();
    }

    void release() {
        Hold h = hold.getAndSet(null);
        if (h != null) {
            h.release().countDown();
        }
    }

    int requests() {
        return requests.get();
    }

    int subscriptionListRequests() {
        return subscriptionListRequests.get();
    }

    int eventListRequests() {
        return eventListRequests.get();
    }

    int retrieveRequests() {
        return retrieveRequests.get();
    }

    int throttled() {
        return throttled.get();
    }

    /** Subscriptions served to a request that asked for their prices expanded. */
    int expandedPrices() {
        return expandedPrices.get();
    }

    List<String> startingAfters() {
        return List.copyOf(startingAfters);
    }

    List<String> eventQueries() {
        return List.copyOf(eventQueries);
    }

    void resetCounters() {
        requests.set(0);
        subscriptionListRequests.set(0);
        eventListRequests.set(0);
        retrieveRequests.set(0);
        throttled.set(0);
        startingAfters.clear();
        eventQueries.clear();
    }

    // ---- objects -------------------------------------------------------------------------------

    /** A subscription in the API's current shape (period end on the item), price expandable. */
    static ObjectNode subscription(String id, String customer, String status, String priceId, String lookupKey,
                                   long created, long periodEnd, boolean cancelAtPeriodEnd) {
        ObjectNode sub = JSON.createObjectNode().put("id", id).put("object", "subscription").put("customer", customer)
                .put("status", status).put("cancel_at_period_end", cancelAtPeriodEnd).put("created", created)
                .put("livemode", false);
        sub.putNull("cancel_at");
        ObjectNode price = JSON.createObjectNode().put("id", priceId).put("object", "price").put("product", "prod_" + priceId);
        if (lookupKey == null) {
            price.putNull("lookup_key");
        } else {
            price.put("lookup_key", lookupKey);
        }
        ObjectNode item = JSON.createObjectNode().put("id", "si_" + id).put("object", "subscription_item")
                .put("current_period_end", periodEnd).put("subscription", id);
        item.set("price", price);
        ObjectNode items = JSON.createObjectNode().put("object", "list").put("has_more", false)
                .put("url", "/v1/subscription_items?subscription=" + id);
        items.putArray("data").add(item);
        sub.set("items", items);
        sub.putObject("metadata");
        return sub;
    }

    static ObjectNode event(String id, String type, long created, JsonNode object) {
        ObjectNode event = JSON.createObjectNode().put("id", id).put("object", "event").put("type", type)
                .put("created", created).put("livemode", false).put("api_version", "2026-05-27.dahlia")
                .put("pending_webhooks", 0);
        event.putObject("data").set("object", object.deepCopy());
        event.putObject("request").putNull("id");
        return event;
    }

    // ---- HTTP ----------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            requests.incrementAndGet();
            String path = exchange.getRequestURI().getPath();
            Map<String, List<String>> query = query(exchange.getRequestURI().getRawQuery());
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.equals("Bearer " + API_KEY)) {
                error(exchange, 401, "invalid_request_error", null, "Invalid API Key provided", Map.of());
                return;
            }
            Fault fault = faults.poll();
            if (fault != null && fault.status() != 0) {
                if (fault.status() == 429) {
                    throttled.incrementAndGet();
                    error(exchange, 429, "invalid_request_error", "rate_limit",
                            "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
                            fault.headers());
                } else {
                    error(exchange, fault.status(), "api_error", null, "Something went wrong on Stripe's end.", fault.headers());
                }
                return;
            }
            if (!exchange.getRequestMethod().equals("GET")) {
                error(exchange, 405, "invalid_request_error", null, "Only GET is faked", Map.of());
                return;
            }
            if (path.equals("/v1/subscriptions")) {
                int n = subscriptionListRequests.incrementAndGet();
                Hold h = hold.get();
                if (h != null && h.listRequest() == n) {
                    h.reached().countDown();
                    try {
                        h.release().await(120, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    error(exchange, 500, "api_error", null, "held page released", Map.of());
                    return;
                }
                listSubscriptions(exchange, query);
            } else if (path.startsWith("/v1/subscriptions/")) {
                retrieveRequests.incrementAndGet();
                String id = path.substring("/v1/subscriptions/".length());
                ObjectNode sub = subscriptions.get(id);
                if (sub == null) {
                    error(exchange, 404, "invalid_request_error", "resource_missing", "No such subscription: '" + id + "'", Map.of());
                } else {
                    boolean expand = values(query, "expand").contains("items.data.price");
                    send(exchange, 200, render(sub, expand), Map.of());
                }
            } else if (path.equals("/v1/events")) {
                eventListRequests.incrementAndGet();
                eventQueries.add(exchange.getRequestURI().getRawQuery());
                listEvents(exchange, query);
            } else {
                error(exchange, 404, "invalid_request_error", null, "Unrecognized request URL (GET: " + path + ")", Map.of());
            }
        }
    }

    private void listSubscriptions(HttpExchange exchange, Map<String, List<String>> query) throws IOException {
        String status = first(query, "status");
        boolean expand = values(query, "expand").contains("data.items.data.price");
        List<ObjectNode> all = subscriptions.values().stream()
                .filter(s -> status == null ? !ENDED.contains(s.path("status").asText())
                        : status.equals("all") || status.equals(s.path("status").asText()))
                .sorted(Comparator.<ObjectNode>comparingLong(s -> s.path("created").asLong()).reversed()
                        .thenComparing(s -> s.path("id").asText(), Comparator.reverseOrder()))
                .toList();
        startingAfters.add(String.valueOf(first(query, "starting_after")));
        page(exchange, query, all, "/v1/subscriptions", s -> render(s, expand));
    }

    private void listEvents(HttpExchange exchange, Map<String, List<String>> query) throws IOException {
        String gt = first(query, "created[gt]");
        List<String> types = values(query, "types");
        List<ObjectNode> matching;
        synchronized (events) {
            matching = events.stream()
                    .filter(e -> gt == null || e.path("created").asLong() > Long.parseLong(gt))
                    .filter(e -> types.isEmpty() || types.contains(e.path("type").asText()))
                    .sorted(Comparator.<ObjectNode>comparingLong(e -> e.path("created").asLong()).reversed()
                            .thenComparing(e -> e.path("id").asText(), Comparator.reverseOrder()))
                    .toList();
        }
        page(exchange, query, matching, "/v1/events", e -> e);
    }

    private void page(HttpExchange exchange, Map<String, List<String>> query, List<ObjectNode> all, String url,
                      java.util.function.Function<ObjectNode, JsonNode> render) throws IOException {
        int limit = 10;
        if (first(query, "limit") != null) {
            limit = Integer.parseInt(first(query, "limit"));
            if (limit < 1 || limit > 100) {
                error(exchange, 400, "invalid_request_error", "parameter_invalid_integer",
                        "Invalid integer: limit must be between 1 and 100", Map.of());
                return;
            }
        }
        int start = 0;
        String after = first(query, "starting_after");
        if (after != null) {
            int index = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).path("id").asText().equals(after)) {
                    index = i;
                    break;
                }
            }
            if (index < 0) {
                error(exchange, 400, "invalid_request_error", "resource_missing",
                        "No such object: '" + after + "' (starting_after)", Map.of());
                return;
            }
            start = index + 1;
        }
        int end = Math.min(all.size(), start + limit);
        ObjectNode list = JSON.createObjectNode().put("object", "list").put("url", url).put("has_more", end < all.size());
        ArrayNode data = list.putArray("data");
        all.subList(start, end).forEach(o -> data.add(render.apply(o)));
        send(exchange, 200, list, Map.of());
    }

    /**
     * Stripe always embeds a subscription item's price as an object (stripe-java cannot read it as an id);
     * {@code expand[]=data.items.data.price} is recorded so tests can check reconcile asks for it.
     */
    private JsonNode render(ObjectNode subscription, boolean expandPrice) {
        if (expandPrice) {
            expandedPrices.incrementAndGet();
        }
        return subscription.deepCopy();
    }

    private static void error(HttpExchange exchange, int status, String type, String code, String message,
                              Map<String, String> headers) throws IOException {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode error = body.putObject("error").put("type", type).put("message", message);
        if (code != null) {
            error.put("code", code);
        }
        send(exchange, status, body, headers);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body, Map<String, String> headers) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("Request-Id", "req_" + UUID.randomUUID().toString().replace("-", "").substring(0, 14));
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    /** Parses a query; {@code key[]} and {@code key[N]} (stripe-java's array encoding) both become {@code key}. */
    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            key = key.replaceAll("\\[\\d*]$", "");
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static String first(Map<String, List<String>> query, String key) {
        List<String> values = query.get(key);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    private static List<String> values(Map<String, List<String>> query, String key) {
        return query.getOrDefault(key, List.of());
    }
}
