package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class RunIdsTest {

    private static final long T = 1_795_428_000_000L; // 2026-11-23T10:00:00Z

    @Test
    void idsAreVersionSevenWithTheRfcVariant() {
        UUID id = RunIds.next(T);

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
    }

    @Test
    void theFirstFortyEightBitsAreTheMillisecondTimestamp() {
        UUID id = RunIds.next(T);

        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(T);
        assertThat(id.toString()).startsWith(String.format("%08x-%04x", T >>> 16, T & 0xFFFF));
    }

    @RepeatedTest(20)
    void anIdOfALaterMillisecondSortsAfterAsUuidAndAsText() {
        UUID earlier = RunIds.next(T);
        UUID later = RunIds.next(T + 1);

        assertThat(later).isGreaterThan(earlier);
        assertThat(later.toString()).isGreaterThan(earlier.toString());
    }

    @Test
    void idsAcrossManyMillisecondsAreInTimeOrder() {
        List<UUID> ids = new ArrayList<>();
        IntStream.range(0, 1000).forEach(i -> ids.add(RunIds.next(T + i * 7L)));

        assertThat(ids).isSorted();
        assertThat(ids.stream().map(UUID::toString).toList()).isSorted();
    }

    @Test
    void idsWithinOneMillisecondAreStillUnique() {
        HashSet<UUID> ids = new HashSet<>();
        IntStream.range(0, 10_000).forEach(i -> ids.add(RunIds.next(T)));

        assertThat(ids).hasSize(10_000);
        assertThat(ids).allSatisfy(id -> {
            assertThat(id.version()).isEqualTo(7);
            assertThat(id.variant()).isEqualTo(2);
        });
    }
}
