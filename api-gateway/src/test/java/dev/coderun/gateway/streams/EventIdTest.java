package dev.coderun.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.coderun.gateway.api.ApiException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventIdTest {

    @Test
    void anIdReadsBackAsThePartitionAndOffsetItWasWrittenFrom() {
        EventId id = new EventId(3, 1234567890123L);

        assertThat(id.toString()).isEqualTo("3-1234567890123");
        assertThat(EventId.parse(id.toString())).isEqualTo(id);
        assertThat(EventId.parse(" 0-0 ")).isEqualTo(new EventId(0, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "3", "3-", "-5", "a-1", "1-b", "1-2-3", "-1-2", "1--2", "1_2", "9999999999-1",
        "1-9999999999999999999", "1-2\u0000"})
    void anythingElseIsAValidationFailureOnLastEventId(String raw) {
        assertThatThrownBy(() -> EventId.parse(raw))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo("validation_failed");
                    assertThat(e.details()).singleElement()
                            .satisfies(v -> assertThat(v.field()).isEqualTo("last_event_id"));
                });
    }

    @Test
    void aMissingIdIsRefusedToo() {
        assertThatThrownBy(() -> EventId.parse(null)).isInstanceOf(ApiException.class);
    }
}
