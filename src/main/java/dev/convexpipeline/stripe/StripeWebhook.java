package dev.convexpipeline.stripe;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.OperatorMessages;
import dev.convexpipeline.convex.ConvexContractException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The steps of routes/stripe-webhook.camel.yaml: receive → verify → parse → (idempotent consumer)
 * → apply → answer, plus the two failure answers. Each method is one runbook step.
 */
public final class StripeWebhook {
    /** Header carrying the event id into the idempotent consumer. */
    public static final String EVENT_ID_HEADER = "StripeEventId";
    static final String SIGNATURE_HEADER = "Stripe-Signature";
    private static final Logger LOG = LoggerFactory.getLogger(StripeWebhook.class);
    private static final String RECEIVED_AT = "stripe.receivedAtNanos";
    private static final String EVENT = "stripe.event";
    private static final String RESULT = "stripe.result";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final WebhookSignatureVerifier verifier;
    private final StripeEventTranslator translator;
    private final StripeEventLedger ledger;
    private final StripeMetrics metrics;
    private final long maxBodyBytes;
    /** Whether the "functions not deployed" reason has been logged since the last event applied. */
    private final AtomicBoolean functionsMissingReported = new AtomicBoolean();
    // At most one INFO summary per interval: rejections come from anyone who can reach the public port.
    private final WebhookRejections rejections;

    public StripeWebhook(WebhookSignatureVerifier verifier, StripeEventTranslator translator, StripeEventLedger ledger,
                         StripeMetrics metrics, long maxBodyBytes, Duration rejectionSummaryInterval) {
        this.verifier = verifier;
        this.translator = translator;
        this.ledger = ledger;
        this.metrics = metrics;
        this.maxBodyBytes = maxBodyBytes;
        this.rejections = new WebhookRejections(metrics, rejectionSummaryInterval, System::nanoTime);
    }

    /**
     * Takes the body as the exact bytes received (never a re-encoded string), whatever its Content-Type
     * (form-encoded and multipart too: see {@link RawBodyPlatformHttpEngine}), and enforces the size limit.
     */
    public void receive(Exchange exchange) {
        exchange.setProperty(RECEIVED_AT, System.nanoTime());
        Message in = exchange.getMessage();
        Long declared = in.getHeader(Exchange.CONTENT_LENGTH, Long.class);
        if (declared != null && declared > maxBodyBytes) {
            throw tooLarge();
        }
        byte[] body = in.getBody(byte[].class);
        if (body == null) {
            body = new byte[0];
        }
        if (body.length > maxBodyBytes) {
            throw tooLarge();
        }
        in.setBody(body);
    }

    /** Checks Stripe-Signature over the raw bytes; rejects with 400 and the reason. */
    public void verify(Exchange exchange) {
        try {
            verifier.verify(exchange.getMessage().getBody(byte[].class), exchange.getMessage().getHeader(SIGNATURE_HEADER, String.class));
        } catch (SignatureVerificationException e) {
            metrics.signatureFailure(e.failure());
            if (e.failure() == SignatureFailure.NOT_CONFIGURED) {
                // Our configuration, not the sender's input: 503 so Stripe keeps the event until it is fixed.
                throw new IllegalStateException("STRIPE_WEBHOOK_SECRET is not set: the webhook cannot verify events");
            }
            throw e;
        }
    }

    /**
     * Reads the verified body as a Stripe event and exposes its id to the idempotent consumer. A body
     * signed correctly but sent as another Content-Type than JSON is refused here, after verification,
     * so the sender learns that the signature was right and the Content-Type is what is wrong.
     */
    public void parse(Exchange exchange) {
        String mediaType = mediaType(exchange.getMessage());
        if (!mediaType.isEmpty() && !mediaType.equals("application/json")) {
            throw new WebhookRejectedException(415, "unsupported_content_type", "Content-Type " + mediaType
                    + " is not accepted: Stripe sends application/json");
        }
        StripeEvent event = StripeEvent.parse(exchange.getMessage().getBody(byte[].class));
        // Every log line about this delivery carries its event id (removed when it is answered).
        MDC.put("eventId", event.id());
        exchange.setProperty(EVENT, event);
        exchange.getMessage().setHeader(EVENT_ID_HEADER, event.id());
    }

    /** Records the event and applies its effect in one Convex mutation. */
    public void apply(Exchange exchange) {
        StripeEvent event = exchange.getProperty(EVENT, StripeEvent.class);
        EventEffect effect = translator.translate(event);
        ApplyResult result = ledger.apply(event, effect, false);
        exchange.setProperty(RESULT, result);
        if (effect instanceof EventEffect.Subscription subscription && !result.isDuplicate()) {
            subscription.entitlement().unmappedPrices().forEach(metrics::unmappedPrice);
        }
        log(event, result);
    }

    /** This instance already applied the event: answer 200 without a Convex call. */
    public void duplicate(Exchange exchange) {
        StripeEvent event = exchange.getProperty(EVENT, StripeEvent.class);
        ApplyResult result = new ApplyResult(ApplyResult.DUPLICATE, "already applied (seen by this instance)");
        exchange.setProperty(RESULT, result);
        log(event, result);
    }

    /** 200 with the outcome; Stripe only needs the status, operators and tests read the body. */
    public void answer(Exchange exchange) {
        // The functions answer again: should they go missing later, that is reported afresh.
        functionsMissingReported.set(false);
        StripeEvent event = exchange.getProperty(EVENT, StripeEvent.class);
        ApplyResult result = exchange.getProperty(RESULT, ApplyResult.class);
        metrics.event(event.type(), result.outcome());
        ObjectNode body = NODES.objectNode().put("received", true).put("eventId", event.id()).put("outcome", result.outcome());
        reply(exchange, 200, body);
    }

    /** Bad input (4xx): nothing was stored. */
    public void rejected(Exchange exchange) {
        WebhookRejectedException e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, WebhookRejectedException.class);
        rejections.record(e.status(), e.reasonCode(), e.getMessage());
        reply(exchange, e.status(), NODES.objectNode().put("error", e.reasonCode()).put("message", e.getMessage()));
    }

    /** A rejection answered before the route runs (413 by the server's body limit, 405 for another method). */
    public void rejectedBeforeRoute(int status, String reasonCode) {
        rejections.record(status, reasonCode, reasonCode);
    }

    /** Convex unreachable or failing, or our own configuration broken: 503 so Stripe retries later. */
    public void unavailable(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        StripeEvent event = exchange.getProperty(EVENT, StripeEvent.class);
        metrics.convexUnavailable();
        String eventId = event == null ? "(unparsed)" : event.id();
        if (ConvexContractException.isMissingFunction(e)) {
            // Every webhook fails the same way until the functions are deployed: say why once, not per event.
            if (functionsMissingReported.compareAndSet(false, true)) {
                LOG.error("Stripe webhooks are answered 503 until the Convex functions are deployed: {}",
                        ConvexContractException.missingFunctionReason("stripe:applyEvent"));
            }
            LOG.debug("Stripe event {} not processed, answered 503: Convex functions not deployed", eventId);
        } else {
            LOG.warn("Stripe event {} not processed, answered 503 so Stripe retries: {}", eventId,
                    e == null ? "unknown error" : OperatorMessages.describe(e));
        }
        reply(exchange, 503, NODES.objectNode().put("error", "unavailable")
                .put("message", "event not processed; retry later"));
    }

    private void reply(Exchange exchange, int status, ObjectNode body) {
        MDC.remove("eventId");
        Message message = exchange.getMessage();
        // Request headers (Stripe-Signature among them) must not be echoed back as response headers.
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setBody(body.toString());
        Long received = exchange.getProperty(RECEIVED_AT, Long.class);
        if (received != null) {
            metrics.ack(status, Duration.ofNanos(System.nanoTime() - received));
        }
    }

    /**
     * Events that need an operator (unmatched, failed, unmapped tier) are logged at INFO; routine
     * outcomes (applied, duplicate, stale, ignored) at DEBUG, because at thousands of events per
     * second the ledger in Convex, not the log, is the audit trail.
     */
    private static void log(StripeEvent event, ApplyResult result) {
        if (!result.needsAttention()) {
            LOG.debug("Stripe event {} ({}): {}", event.id(), event.type(), result.outcome());
        } else {
            LOG.info("Stripe event {} ({}): {}{}", event.id(), event.type(), result.outcome(),
                    result.reason() == null ? "" : " - " + result.reason());
        }
    }

    /** The request's media type, lower case without parameters; empty when none was sent. */
    private static String mediaType(Message message) {
        String contentType = message.getHeader(Exchange.CONTENT_TYPE, String.class);
        return contentType == null ? "" : contentType.split(";")[0].strip().toLowerCase(java.util.Locale.ROOT);
    }

    private WebhookRejectedException tooLarge() {
        return new WebhookRejectedException(413, "body_too_large", "body larger than " + maxBodyBytes + " bytes");
    }
}
