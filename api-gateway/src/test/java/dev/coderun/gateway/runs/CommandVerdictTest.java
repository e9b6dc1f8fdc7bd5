package dev.coderun.gateway.runs;

import static dev.coderun.gateway.GatewayFixtures.NOW;
import static org.assertj.core.api.Assertions.assertThat;

import dev.coderun.events.CancelRun;
import dev.coderun.events.RunCommand;
import dev.coderun.gateway.api.ApiException;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.kafka.core.KafkaProducerException;

/**
 * What a batch's client is told about each command: refused only when the command certainly is not in Kafka; when the
 * producer took it and timed out, the broker may still write it (a frozen broker reads its socket once it goes on), so
 * the answer is that it is unconfirmed, naming the run.
 */
class CommandVerdictTest {

    private static final String RUN = "019a1b2c-3d4e-7f00-8a00-000000000002";
    private static final RunCommand COMMAND = new CancelRun("alice", RUN, "user:alice", NOW);

    /** As the producer fails a batch it took, and as KafkaTemplate hands that failure on. */
    private static final Throwable EXPIRED = new KafkaProducerException(new ProducerRecord<>("t", "k", "v"),
            "Failed to send",
            new TimeoutException("Expiring 184 record(s) for t-0: 4001 ms has passed since batch creation"));

    @Test
    void aDurableCommandHasNoError() {
        assertThat(KafkaCommandPublisher.verdict(COMMAND, KafkaCommandPublisher.durable(), true)).isNull();
    }

    @Test
    void aCommandTheProducerTookAndTimedOutOnIsUnconfirmedNotRefused() {
        ApiException error = KafkaCommandPublisher.verdict(COMMAND, EXPIRED, true);

        assertThat(error.status()).isEqualTo(HttpStatus.GATEWAY_TIMEOUT);
        assertThat(error.code()).isEqualTo("upstream_timeout");
        assertThat(error.getMessage()).contains(RUN).contains("may still have been accepted");
        assertThat(error.extra()).isEqualTo(new KafkaCommandPublisher.UnconfirmedRun(RUN));
        assertThat(KafkaCommandPublisher.isUnconfirmed(error)).isTrue();
    }

    @Test
    void aCommandTheProducerTookWithoutAnyVerdictInTimeIsUnconfirmed() {
        ApiException error = KafkaCommandPublisher.verdict(COMMAND, null, true);

        assertThat(error.code()).isEqualTo("upstream_timeout");
        assertThat(KafkaCommandPublisher.isUnconfirmed(error)).isTrue();
    }

    @Test
    void aCommandThatNeverReachedTheProducersBufferIsRefused() {
        // send() itself failed: no metadata within max.block.ms. Nothing was sent, whatever the exception says.
        ApiException blocked = KafkaCommandPublisher.verdict(COMMAND,
                new TimeoutException("Topic coderun.commands.v1 not present in metadata after 2000 ms."), false);
        // No thread started the sends within the bound: nothing was sent.
        ApiException neverStarted = KafkaCommandPublisher.verdict(COMMAND, null, false);

        for (ApiException error : new ApiException[] {blocked, neverStarted}) {
            assertThat(error.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
            assertThat(error.code()).isEqualTo("upstream_unavailable");
            assertThat(KafkaCommandPublisher.isUnconfirmed(error)).isFalse();
        }
    }

    @Test
    void aCommandTheBrokerAnsweredWithAnErrorIsRefused() {
        ApiException error = KafkaCommandPublisher.verdict(COMMAND, new KafkaProducerException(
                new ProducerRecord<>("t", "k", "v"), "Failed to send", new NotEnoughReplicasException("2 < 1")), true);

        assertThat(error.code()).isEqualTo("upstream_unavailable");
        assertThat(KafkaCommandPublisher.isUnconfirmed(error)).isFalse();
    }
}
