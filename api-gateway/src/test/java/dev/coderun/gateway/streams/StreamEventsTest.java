package dev.coderun.gateway.streams;

import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.RunQueued;
import dev.coderun.events.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;

class StreamEventsTest {

    @Test
    void aHandleStreamEventCarriesItsRecordsPartitionAndOffsetAsItsId() {
        ServerSentEvent<Object> event = StreamEvents.transition(new HubRecord(Topics.EVENTS, 4, 17,
                new RunQueued("alice", "r1", 2, 0, Instant.EPOCH)));

        assertThat(event.id()).isEqualTo("4-17");
        assertThat(event.event()).isEqualTo("transition");
        assertThat(event.data()).isEqualTo(new StreamEvents.TransitionData(
                "r1", dev.coderun.events.RunStatus.QUEUED, Instant.EPOCH, "worker_lost", null, 2));
    }

    @Test
    void anOutputEventNamesItsStreamInLowerCase() {
        ServerSentEvent<Object> event = StreamEvents.output(new OutputChunk("alice", "r1", 1, 0,
                OutputChunk.OutputStream.STDERR, "oops".getBytes(StandardCharsets.UTF_8), Instant.EPOCH));

        assertThat(event.data()).isEqualTo(new StreamEvents.OutputData("r1", "stderr", "oops", 1, 0));
    }

    @Test
    void keepAliveCommentsStopWhenTheEventsEnd() {
        Flux<ServerSentEvent<Object>> events = Flux.just(ServerSentEvent.<Object>builder("a").build())
                .concatWith(Flux.<ServerSentEvent<Object>>never().take(Duration.ofMillis(120)));

        var all = StreamEvents.withKeepAlive(events, Duration.ofMillis(20)).collectList().block(Duration.ofSeconds(10));

        assertThat(all.getFirst().data()).isEqualTo("a");
        assertThat(all.subList(1, all.size())).isNotEmpty().allSatisfy(e -> assertThat(e.comment())
                .isEqualTo("keep-alive"));
    }
}
