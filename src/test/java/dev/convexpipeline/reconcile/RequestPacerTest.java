package dev.convexpipeline.reconcile;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestPacerTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Test
    void consecutiveRequestsAreSpacedByTheInterval() {
        RequestPacer pacer = new RequestPacer(20, nanos::get);
        assertThat(pacer.reserve()).isZero();
        assertThat(pacer.reserve()).isEqualTo(Duration.ofMillis(50));
        assertThat(pacer.reserve()).isEqualTo(Duration.ofMillis(100));
        nanos.addAndGet(Duration.ofMillis(100).toNanos());
        assertThat(pacer.reserve()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void anIdleSpellGivesNoBurst() {
        RequestPacer pacer = new RequestPacer(10, nanos::get);
        pacer.reserve();
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        assertThat(pacer.reserve()).isZero();
        assertThat(pacer.reserve()).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void aRateOfZeroIsRefused() {
        assertThatThrownBy(() -> new RequestPacer(0)).hasMessageContaining("above 0");
    }
}
