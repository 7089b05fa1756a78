package dev.convexpipeline.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.model.Event;
import com.stripe.model.StripeCollection;
import com.stripe.model.Subscription;
import com.stripe.net.StripeResponse;
import com.stripe.param.EventListParams;
import com.stripe.param.SubscriptionListParams;
import com.stripe.param.SubscriptionRetrieveParams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What reconcile reads from Stripe, through stripe-java: pages of subscriptions, one subscription,
 * pages of events. Objects are read as raw JSON (the response body) with Jackson, as the webhook
 * reads them, so the shared mapper sees the same shapes whatever API version stripe-java pins.
 * Pages are requested one at a time (not {@code autoPagingIterable}) because the run checkpoints
 * its cursor after each page.
 */
public final class StripeReader {
    public static final long PAGE_SIZE = 100;
    static final String PRICE_EXPANSION = "data.items.data.price";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StripeClient client;
    private final PacedStripeHttpClient http;

    public StripeReader(ReconcileSettings settings) {
        if (settings.stripeSecretKey().isBlank()) {
            throw new dev.convexpipeline.SettingMissingException("stripe.secret-key is empty: set STRIPE_SECRET_KEY (a restricted key that can read"
                    + " subscriptions and events is enough)");
        }
        this.http = new PacedStripeHttpClient(settings.rateLimitPerSecond(), settings.maxAttempts(),
                settings.initialBackoff(), settings.maxBackoff());
        int timeout = (int) settings.stripeTimeout().toMillis();
        this.client = StripeClient.builder()
                .setApiKey(settings.stripeSecretKey())
                .setApiBase(settings.stripeApiBase())
                .setHttpClient(http)
                // Retries are PacedStripeHttpClient's (paced, honouring Retry-After); stripe-java's own stay off.
                .setMaxNetworkRetries(0)
                .setConnectTimeout(timeout)
                .setReadTimeout(timeout)
                .build();
    }

    /**
     * One page of subscriptions.
     *
     * @param objects raw subscription objects, newest first, as Stripe lists them
     * @param readAt  when the request was sent: the data is at least this fresh
     */
    public record Page(List<JsonNode> objects, boolean hasMore, Instant readAt) {
        public Optional<String> lastId() {
            return objects.isEmpty() ? Optional.empty() : Optional.of(objects.get(objects.size() - 1).path("id").asText());
        }
    }

    /** {@code GET /v1/subscriptions?status=all&limit=100&expand[]=data.items.data.price[&starting_after=...]}. */
    public Page subscriptions(String startingAfter) throws StripeException {
        SubscriptionListParams.Builder params = SubscriptionListParams.builder()
                .setStatus(SubscriptionListParams.Status.ALL)
                .setLimit(PAGE_SIZE)
                .addExpand(PRICE_EXPANSION);
        if (startingAfter != null) {
            params.setStartingAfter(startingAfter);
        }
        Instant readAt = Instant.now();
        StripeCollection<Subscription> page = client.v1().subscriptions().list(params.build());
        JsonNode body = body(page.getLastResponse());
        List<JsonNode> objects = new ArrayList<>();
        body.path("data").forEach(objects::add);
        return new Page(objects, body.path("has_more").asBoolean(false), readAt);
    }

    /** The subscription as Stripe has it now, or empty when Stripe no longer knows it (404). */
    public Optional<JsonNode> subscription(String id) throws StripeException {
        try {
            Subscription subscription = client.v1().subscriptions().retrieve(id,
                    SubscriptionRetrieveParams.builder().addExpand("items.data.price").build());
            return Optional.of(body(subscription.getLastResponse()));
        } catch (InvalidRequestException e) {
            if (Integer.valueOf(404).equals(e.getStatusCode())) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** A page of events as raw JSON texts, newest first. */
    public record EventPage(List<String> events, boolean hasMore, Optional<String> lastId) {
    }

    /** {@code GET /v1/events?created[gt]=...&types[]=...&limit=100[&starting_after=...]}. */
    public EventPage events(long createdAfter, Set<String> types, String startingAfter) throws StripeException {
        EventListParams.Builder params = EventListParams.builder()
                .setCreated(EventListParams.Created.builder().setGt(createdAfter).build())
                .addAllType(new ArrayList<>(new TreeSet<>(types)))
                .setLimit(PAGE_SIZE);
        if (startingAfter != null) {
            params.setStartingAfter(startingAfter);
        }
        StripeCollection<Event> page = client.v1().events().list(params.build());
        JsonNode body = body(page.getLastResponse());
        List<String> events = new ArrayList<>();
        String last = null;
        for (JsonNode event : body.path("data")) {
            events.add(event.toString());
            last = event.path("id").asText();
        }
        return new EventPage(events, body.path("has_more").asBoolean(false), Optional.ofNullable(last));
    }

    private static JsonNode body(StripeResponse response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("Stripe answered with a body that is not JSON", e);
        }
    }

    /** HTTP requests sent to Stripe so far, retries included. */
    /**
     * An operator's account of a failed Stripe read: the HTTP status or connection failure, the
     * endpoint with the host actually used, and the attempts, then stripe-java's own message.
     */
    public String explain(Exception failure) {
        String message = dev.convexpipeline.OperatorMessages.describe(failure);
        return http.lastFailure().filter(last -> !message.startsWith(last))
                .map(last -> last + ": " + message).orElse(message);
    }

    public long requests() {
        return http.requests();
    }

    public long retries() {
        return http.retries();
    }

    public long throttled() {
        return http.throttled();
    }
}
