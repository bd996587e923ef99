package dev.ferry.opensearch;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The dump's own retries (pages, manifest) back off like the routes: exponential, capped, jittered +-25 %. */
class BackoffTest {

    @Test
    void delaysGrowByTheMultiplierWithinTheJitterAndStopAtTheCeiling() {
        Backoff b = new Backoff(5, 500, 3000, 2.0);
        for (int i = 0; i < 200; i++) {
            assertThat(b.delayMs(1)).isBetween(375L, 625L);
            assertThat(b.delayMs(2)).isBetween(750L, 1250L);
            assertThat(b.delayMs(3)).isBetween(1500L, 2500L);
            assertThat(b.delayMs(4)).isBetween(2250L, 3000L);
            assertThat(b.delayMs(30)).isBetween(2250L, 3000L);
        }
    }
}
