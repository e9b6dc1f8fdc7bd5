package dev.coderun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OptionsTest {

    private static final String[] STACK = {"--gateway", "http://127.0.0.1:8080", "--token", "t", "--image", "img",
            "--digest", "sha256:00", "--pid", "gateway=42"};

    private static String[] with(String... more) {
        String[] args = new String[STACK.length + more.length];
        System.arraycopy(STACK, 0, args, 0, STACK.length);
        System.arraycopy(more, 0, args, STACK.length, more.length);
        return args;
    }

    @Test
    void readsWhatTheUserSetsOverTheDefaults() {
        Options options = Options.parse(with("--runs", "60", "--sequential", "0", "--batch-clients", "4"));

        assertThat(options.runs()).isEqualTo(60);
        assertThat(options.sequential()).isZero();
        assertThat(options.batchClients()).isEqualTo(4);
        assertThat(options.warmup()).isEqualTo(200);
        assertThat(Options.parse(with()).batchClients()).isEqualTo(1);
        assertThat(options.pids()).containsEntry("gateway", 42L);
    }

    @Test
    void refusesAnOptionItDoesNotKnowRatherThanRunningTheDefaultBench() {
        assertThatThrownBy(() -> Options.parse(with("--warmupp", "3")))
                .hasMessage("unknown option --warmupp");
        assertThatThrownBy(() -> Options.parse(with("--runs")))
                .hasMessage("--runs needs a value");
    }

    @Test
    void refusesACountThatIsNotAWholeNumberInRange() {
        assertThatThrownBy(() -> Options.parse(with("--runs", "x")))
                .hasMessage("--runs wants a whole number of 1 or more, got x");
        assertThatThrownBy(() -> Options.parse(with("--concurrency", "0")))
                .hasMessage("--concurrency wants a whole number of 1 or more, got 0");
        assertThatThrownBy(() -> Options.parse(with("--batches", "-1")))
                .hasMessage("--batches wants a whole number of 0 or more, got -1");
        assertThatThrownBy(() -> Options.parse(with("--batch-clients", "0")))
                .hasMessage("--batch-clients wants a whole number of 1 or more, got 0");
    }

    @Test
    void helpIsAskedForAnywhereInTheArguments() {
        assertThat(Options.wantsHelp(with("--help"))).isTrue();
        assertThat(Options.wantsHelp(with("-h"))).isTrue();
        assertThat(Options.wantsHelp(with("--runs", "3"))).isFalse();
    }
}
