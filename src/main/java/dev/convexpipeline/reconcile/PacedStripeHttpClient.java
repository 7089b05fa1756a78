package dev.convexpipeline.reconcile;

import com.stripe.exception.ApiConnectionException;
import com.stripe.net.HttpURLConnectionClient;
import com.stripe.net.StripeRequest;
import com.stripe.net.StripeResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.convexpipeline.retry.RetryAfter;
import dev.convexpipeline.retry.RetryPolicy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * stripe-java's HTTP client with reconcile's pacing and retries. stripe-java calls
 * {@link #requestWithRetries} for every API call; here every attempt first takes a permit from a
 * client-side pacer ({@link RequestPacer}), and 429, 5xx and connection
 * failures are retried up to {@code maxAttempts}:
 * <ul>
 *   <li>{@code Stripe-Should-Retry: false} stops at once (Stripe says a retry cannot succeed);
 *       {@code true} retries whatever the status;</li>
 *   <li>the delay is the pipeline's {@link RetryPolicy} (exponential backoff with jitter, capped by
 *       {@code maxBackoff}), or Stripe's {@code Retry-After} when it asks for longer.</li>
 * </ul>
 * The StripeClient is built with {@code maxNetworkRetries(0)} so stripe-java's own retry loop (which
 * ignores Retry-After and is not paced) never runs on top of this one. Written by hand because
 * the retry decision needs Stripe's response headers, which only the HTTP layer sees.
 */
public final class PacedStripeHttpClient extends HttpURLConnectionClient {
    private static final Logger LOG = LoggerFactory.getLogger(PacedStripeHttpClient.class);

    /** Stripe's Retry-After is honoured however long it is: a run has no deadline, and a 429 storm must end. */
    private static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    private final RequestPacer limiter;
    private final RetryPolicy policy;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private final AtomicLong throttled = new AtomicLong();
    private volatile String lastFailure;

    public PacedStripeHttpClient(double requestsPerSecond, int maxAttempts, Duration initialBackoff, Duration maxBackoff) {
        this.limiter = new RequestPacer(requestsPerSecond);
        this.policy = new RetryPolicy(maxAttempts, initialBackoff, maxBackoff, MAX_RETRY_AFTER);
    }

    @Override
    public StripeResponse requestWithRetries(StripeRequest request) throws ApiConnectionException {
        for (int attempt = 1; ; attempt++) {
            limiter.acquire();
            requests.incrementAndGet();
            StripeResponse response;
            try {
                response = request(request);
            } catch (ApiConnectionException e) {
                if (!policy.allowsAttemptAfter(attempt)) {
                    // stripe-java's own text names its default host, not the one this request went to.
                    String failure = "connection to Stripe failed: " + request.method() + " " + endpoint(request)
                            + ", " + attempt + " attempt(s): " + rootMessage(e);
                    lastFailure = failure;
                    throw new ApiConnectionException(failure, e);
                }
                pause(request, attempt, "connection failed (" + e.getMessage() + ")", policy.delayBefore(attempt + 1, null));
                continue;
            }
            if (response.code() == 429) {
                throttled.incrementAndGet();
            }
            Optional<String> shouldRetry = response.headers().firstValue("Stripe-Should-Retry");
            boolean retryable = shouldRetry.map("true"::equals)
                    .orElse(response.code() == 429 || response.code() >= 500);
            if (!retryable || !policy.allowsAttemptAfter(attempt)) {
                if (response.code() >= 400) {
                    lastFailure = "Stripe answered HTTP " + response.code() + " to " + request.method() + " "
                            + endpoint(request) + " after " + attempt + " attempt(s)";
                }
                return response;
            }
            pause(request, attempt, "HTTP " + response.code(),
                    policy.delayBefore(attempt + 1, retryAfter(response).orElse(null)));
        }
    }

    /** What the last request that failed for good was: status or connection failure, endpoint (with the host used), attempts. */
    Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    private static String endpoint(StripeRequest request) {
        return request.url().getProtocol() + "://" + request.url().getAuthority() + request.url().getPath();
    }

    private static String rootMessage(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private void pause(StripeRequest request, int attempt, String why, Duration delay) throws ApiConnectionException {
        retries.incrementAndGet();
        LOG.debug("Stripe {} {}: {}, attempt {}/{}; retrying in {} ms", request.method(), request.url().getPath(), why,
                attempt, policy.maxAttempts(), delay.toMillis());
        try {
            RetryPolicy.pause(delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiConnectionException("interrupted while waiting to retry " + request.url().getPath());
        }
    }

    /** Stripe's {@code Retry-After}, if it sent one. */
    static Optional<Duration> retryAfter(StripeResponse response) {
        return response.headers().firstValue("Retry-After").flatMap(RetryAfter::parse);
    }

    /** HTTP requests sent to Stripe, retries included. */
    public long requests() {
        return requests.get();
    }

    public long retries() {
        return retries.get();
    }

    /** Answers 429 received. */
    public long throttled() {
        return throttled.get();
    }
}
