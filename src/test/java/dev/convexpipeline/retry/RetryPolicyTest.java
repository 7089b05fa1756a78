package dev.convexpipeline.retry;

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
    void aCallerMayHonourLongerRetryAfters() {
        RetryPolicy patient = policy.withMaxRetryAfter(Duration.ofMinutes(10));
        assertThat(patient.delayBefore(2, Duration.ofMinutes(5))).isEqualTo(Duration.ofMinutes(5));
        assertThat(patient.delayBefore(2, Duration.ofHours(1))).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void atMostCapsAttemptsAndBackoffButNeverRaisesThem() {
        RetryPolicy capped = policy.atMost(3, Duration.ofMillis(300));
        assertThat(capped.maxAttempts()).isEqualTo(3);
        assertThat(capped.maxBackoff()).isEqualTo(Duration.ofMillis(300));
        assertThat(capped.delayBefore(10, null).toMillis()).isBetween(150L, 300L);
        assertThat(RetryPolicy.noRetries().atMost(3, Duration.ofSeconds(1)).maxAttempts()).isEqualTo(1);
        assertThat(capped.allowsAttemptAfter(2)).isTrue();
        assertThat(capped.allowsAttemptAfter(3)).isFalse();
    }

    @Test
    void rejectsPoliciesWithoutAttempts() {
        assertThatThrownBy(() -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxAttempts");
    }
}
