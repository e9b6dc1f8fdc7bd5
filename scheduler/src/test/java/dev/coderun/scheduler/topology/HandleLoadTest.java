package dev.coderun.scheduler.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.scheduler.topology.HandleLoad.Busy;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandleLoadTest {

    @Test
    void totalsCountEveryHandleWhileOnlyTheBusiestAreKept() {
        HandleLoad.Tally tally = new HandleLoad.Tally(2);
        for (int i = 0; i < 5000; i++) {
            tally.add("h" + i, 1, 2);
        }
        tally.add("hot", 8, 100);
        tally.add("warm", 8, 10);

        HandleLoad load = tally.load();

        assertThat(load.active()).isEqualTo(5000 + 16);
        assertThat(load.queued()).isEqualTo(10000 + 110);
        assertThat(load.busiest()).containsExactly(new Busy("hot", 8, 100), new Busy("warm", 8, 10));
    }

    @Test
    void equalLoadsAreChosenByHandleNameWhateverTheOrderTheyCameIn() {
        HandleLoad.Tally forwards = new HandleLoad.Tally(2);
        HandleLoad.Tally backwards = new HandleLoad.Tally(2);
        List<String> handles = List.of("a", "b", "c", "d");
        handles.forEach(h -> forwards.add(h, 1, 1));
        handles.reversed().forEach(h -> backwards.add(h, 1, 1));

        assertThat(forwards.load().busiest()).extracting(Busy::handle).containsExactly("a", "b");
        assertThat(backwards.load()).isEqualTo(forwards.load());
    }

    @Test
    void idleHandlesAreNeverListedAndLimitZeroListsNone() {
        HandleLoad.Tally tally = new HandleLoad.Tally(3);
        tally.add("idle", 0, 0);
        tally.add("busy", 1, 0);
        assertThat(tally.load().busiest()).extracting(Busy::handle).containsExactly("busy");

        HandleLoad.Tally off = new HandleLoad.Tally(0);
        off.add("busy", 5, 5);
        assertThat(off.load()).isEqualTo(new HandleLoad(5, 5, List.of()));
    }

    @Test
    void mergingTasksAddsTheirTotalsAndKeepsTheBusiestOverAllOfThem() {
        HandleLoad first = new HandleLoad(3, 10, List.of(new Busy("x", 2, 9), new Busy("y", 1, 1)));
        HandleLoad second = new HandleLoad(4, 1, List.of(new Busy("z", 4, 1)));

        HandleLoad merged = HandleLoad.merge(List.of(first, second), 2);

        assertThat(merged).isEqualTo(new HandleLoad(7, 11, List.of(new Busy("x", 2, 9), new Busy("z", 4, 1))));
    }

    @Test
    void aNegativeLimitIsRefused() {
        assertThatThrownBy(() -> new HandleLoad.Tally(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
