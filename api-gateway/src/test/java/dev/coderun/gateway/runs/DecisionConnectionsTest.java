package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecisionConnectionsTest {

    @Test
    void theDefaultPoolLendsTwoSplitBatchesWhileKafkaDecides() {
        assertThat(PostgresRunRepository.maxDecisionConnections(PostgresRunRepository.DEFAULT_POOL_SIZE))
                .isEqualTo(2 * PostgresRunRepository.PARALLEL_INSERTS);
    }

    @Test
    void theBoundFollowsThePoolSoThatMostOfItStaysFreeForEveryOtherStatement() {
        assertThat(PostgresRunRepository.maxDecisionConnections(20)).isEqualTo(8);
        assertThat(PostgresRunRepository.maxDecisionConnections(5)).isEqualTo(2);
        for (int pool = 1; pool <= 64; pool++) {
            assertThat(pool - PostgresRunRepository.maxDecisionConnections(pool)).as("free of a pool of %d", pool)
                    .isGreaterThanOrEqualTo((pool * 3 + 4) / 5);
        }
    }

    @Test
    void aPoolTooSmallToSpareASplitBatchLendsNoneAndEveryGroupWritesAfterTheDecision() {
        assertThat(PostgresRunRepository.maxDecisionConnections(4)).isEqualTo(1)
                .isLessThan(PostgresRunRepository.PARALLEL_INSERTS);
        assertThat(PostgresRunRepository.maxDecisionConnections(2)).isZero();
        assertThat(PostgresRunRepository.maxDecisionConnections(1)).isZero();
    }
}
