package dev.coderun.gateway.runs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

    @Test
    void anEntryAtAnIdleLaneLeavesAtOnceAlone() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(2, 10);

        assertThat(groups.offer("a", 1)).containsExactly(1);
    }

    @Test
    void entriesArrivingWhileTheLaneIsFullLeaveTogetherWhenAGroupFinishes() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(1, 10);
        groups.offer("a", 1);

        assertThat(groups.offer("a", 2)).isEmpty();
        assertThat(groups.offer("a", 3)).isEmpty();
        assertThat(groups.finished("a")).containsExactly(2, 3);
        assertThat(groups.finished("a")).isEmpty();
    }

    @Test
    void upToMaxInFlightGroupsOfALaneRunAtOnce() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(2, 10);

        assertThat(groups.offer("a", 1)).containsExactly(1);
        assertThat(groups.offer("a", 2)).containsExactly(2);
        assertThat(groups.offer("a", 3)).isEmpty();
        assertThat(groups.finished("a")).containsExactly(3);
    }

    @Test
    void aGroupHoldsAtMostMaxGroupEntriesAndTheRestWaitInOrder() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(1, 2);
        groups.offer("a", 0);
        for (int i = 1; i <= 5; i++) {
            groups.offer("a", i);
        }

        assertThat(groups.finished("a")).containsExactly(1, 2);
        assertThat(groups.finished("a")).containsExactly(3, 4);
        assertThat(groups.finished("a")).containsExactly(5);
        assertThat(groups.finished("a")).isEmpty();
    }

    @Test
    void lanesDoNotWaitForEachOther() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(1, 10);
        groups.offer("a", 1);

        assertThat(groups.offer("b", 2)).containsExactly(2);
        assertThat(groups.offer("a", 3)).isEmpty();
    }

    @Test
    void anIdleLaneIsForgotten() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(1, 10);
        groups.offer("a", 1);
        groups.offer("a", 2);

        groups.finished("a");
        assertThat(groups.activeLanes()).isEqualTo(1);
        groups.finished("a");
        assertThat(groups.activeLanes()).isZero();
    }

    @Test
    void finishingAGroupThatIsNotRunningIsRefused() {
        GroupCommit<String, Integer> groups = new GroupCommit<>(1, 10);

        assertThatThrownBy(() -> groups.finished("a")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void everyEntryIsHandedOutExactlyOnceUnderConcurrency() throws Exception {
        GroupCommit<String, Integer> groups = new GroupCommit<>(3, 7);
        List<Integer> handed = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int base = t * 1000;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1000; i++) {
                    List<Integer> group = groups.offer("a", base + i);
                    while (!group.isEmpty()) {
                        handed.addAll(group);
                        group = groups.finished("a");
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(handed).hasSize(4000).doesNotHaveDuplicates();
        assertThat(groups.activeLanes()).isZero();
    }
}
