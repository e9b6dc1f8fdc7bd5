package dev.coderun.worker.execution;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class RedactionTest {

    @Test
    void everySecretValueIsBlankedOutOfTheWholeCauseChainAsLogged() {
        IllegalStateException cause = new IllegalStateException("invalid env entry TOKEN=tok-1234 in request");
        RuntimeException failure = new RuntimeException("create failed: {\"Env\":[\"TOKEN=tok-1234\",\"PW=pw-9\"]}",
                cause);
        failure.addSuppressed(new IllegalArgumentException("pw-9 again"));

        Throwable redacted = Redaction.of(List.of("tok-1234", "pw-9")).apply(failure);

        String logged = stackTrace(redacted);
        assertThat(logged).doesNotContain("tok-1234").doesNotContain("pw-9")
                .contains("java.lang.RuntimeException: create failed: {\"Env\":[\"TOKEN=[redacted]\",\"PW=[redacted]\"]}")
                .contains("Caused by: java.lang.IllegalStateException: invalid env entry TOKEN=[redacted] in request")
                .contains("java.lang.IllegalArgumentException: [redacted] again")
                .as("the stack stays, for whoever debugs it").contains("RedactionTest");
    }

    @Test
    void aLongerValueIsBlankedBeforeAShorterOneInsideIt() {
        assertThat(Redaction.of(List.of("abc", "abcdef")).apply("x=abcdef y=abc")).isEqualTo("x=[redacted] y=[redacted]");
    }

    @Test
    void withoutSecretsTheFailureIsLoggedAsItIs() {
        RuntimeException failure = new RuntimeException("plain");

        assertThat(Redaction.of(List.of()).apply(failure)).isSameAs(failure);
        assertThat(Redaction.of(List.of("")).apply("text")).isEqualTo("text");
    }

    private static String stackTrace(Throwable t) {
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
