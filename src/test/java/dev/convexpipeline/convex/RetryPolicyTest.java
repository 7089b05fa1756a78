package dev.convexpipeline.convex;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(6, Duration.ofMillis(100), Duration.ofMillis(1000));

    @RepeatedTest(20)
    void backoffDoublesWithJitterAndStaysBelowTheCap() {
        assertThat(policy.delayBefore(2, null).toMillis()).isBetween(50L, 100L);
        assertThat(policy.delayBefore(3, null).toMillis()).isBetween(100L, 200L);
        assertThat(policy.delayBefore(4, null).toMillis()).isBetween(200L, 400L);
        assertThat(policy.delayBefore(40, null).toMillis()).isBetween(500L, 1000L);
    }

    @Test
    void retryAfterWinsWhenItAsksForLongerButIsBounded() {
        assertThat(policy.delayBefore(2, Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(3));
        assertThat(policy.delayBefore(2, Duration.ofHours(5))).isEqualTo(RetryPolicy.MAX_RETRY_AFTER);
        assertThat(policy.delayBefore(2, Duration.ZERO).toMillis()).isBetween(50L, 100L);
    }

    @Test
    void retryAfterHeaderAcceptsSecondsAndHttpDates() {
        assertThat(ConvexClient.parseRetryAfter("2")).isEqualTo(Duration.ofSeconds(2));
        assertThat(ConvexClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEqualTo(Duration.ZERO);
        assertThat(ConvexClient.parseRetryAfter("soon")).isNull();
        assertThat(ConvexClient.parseRetryAfter(null)).isNull();
    }

    @Test
    void rejectsPoliciesWithoutAttempts() {
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
    }
}
