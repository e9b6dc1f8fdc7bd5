package dev.coderun.worker.output;

import static dev.coderun.events.OutputChunk.OutputStream.STDERR;
import static dev.coderun.events.OutputChunk.OutputStream.STDOUT;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.coderun.events.OutputChunk;
import dev.coderun.events.OutputChunk.OutputStream;
import dev.coderun.events.OutputSummary;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputCaptureTest {

    private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

    private final List<OutputChunk> published = new ArrayList<>();

    @Test
    void smallFramesAreCoalescedUntilFlushed() {
        OutputCapture capture = capture(1024, 16);

        publish(capture.append(STDOUT, bytes("hel"), NOW));
        publish(capture.append(STDOUT, bytes("lo\n"), NOW));
        assertThat(published).isEmpty();

        publish(capture.flush(NOW));

        assertThat(published).singleElement().satisfies(chunk -> {
            assertThat(text(chunk)).isEqualTo("hello\n");
            assertThat(chunk.stream()).isEqualTo(STDOUT);
            assertThat(chunk.seq()).isZero();
            assertThat(chunk.runId()).isEqualTo("run-1");
            assertThat(chunk.handle()).isEqualTo("acme");
            assertThat(chunk.attempt()).isEqualTo(2);
            assertThat(chunk.at()).isEqualTo(NOW);
        });
    }

    @Test
    void aChunkIsCutAsSoonAsAStreamFillsOne() {
        OutputCapture capture = capture(1024, 4);

        publish(capture.append(STDOUT, bytes("abc"), NOW));
        publish(capture.append(STDOUT, bytes("defghij"), NOW));

        assertThat(published).extracting(OutputCaptureTest::text).containsExactly("abcd", "efgh");
        publish(capture.flush(NOW));
        assertThat(published).extracting(OutputCaptureTest::text).containsExactly("abcd", "efgh", "ij");
    }

    @Test
    void seqCountsFromZeroOverBothStreams() {
        OutputCapture capture = capture(1024, 4);

        publish(capture.append(STDOUT, bytes("out1"), NOW));
        publish(capture.append(STDERR, bytes("err1"), NOW));
        publish(capture.append(STDOUT, bytes("o"), NOW));
        publish(capture.append(STDERR, bytes("e"), NOW));
        publish(capture.flush(NOW));

        assertThat(published).extracting(OutputChunk::seq).containsExactly(0, 1, 2, 3);
        assertThat(published).extracting(OutputChunk::stream).containsExactly(STDOUT, STDERR, STDOUT, STDERR);
        assertThat(capture.summary().chunks()).isEqualTo(4);
    }

    @Test
    void aFlushCutsTheStreamThatWroteFirstFirst() {
        OutputCapture capture = capture(1024, 64);

        publish(capture.append(STDERR, bytes("warning\n"), NOW));
        publish(capture.append(STDOUT, bytes("result\n"), NOW));
        publish(capture.flush(NOW));

        assertThat(published).extracting(OutputChunk::stream).containsExactly(STDERR, STDOUT);
    }

    @Test
    void aFlushWithNothingPendingCutsNothing() {
        OutputCapture capture = capture(1024, 4);

        publish(capture.flush(NOW));
        publish(capture.append(STDOUT, bytes("abcd"), NOW));
        publish(capture.flush(NOW));

        assertThat(published).hasSize(1);
        assertThat(capture.summary().chunks()).isEqualTo(1);
    }

    @Test
    void outputExactlyAtTheCapIsRetainedWhole() {
        OutputCapture capture = capture(10, 4);

        publish(capture.append(STDOUT, bytes("0123456789"), NOW));
        publish(capture.flush(NOW));

        assertThat(retained(STDOUT)).isEqualTo("0123456789");
        assertThat(capture.summary()).isEqualTo(new OutputSummary(10, 0, false, false, 3));
    }

    @Test
    void oneByteOverTheCapIsTruncatedButCounted() {
        OutputCapture capture = capture(10, 4);

        publish(capture.append(STDOUT, bytes("0123456789X"), NOW));
        publish(capture.flush(NOW));

        assertThat(retained(STDOUT)).isEqualTo("0123456789");
        assertThat(capture.summary()).isEqualTo(new OutputSummary(11, 0, true, false, 3));
    }

    @Test
    void bytesAfterTheCapAreCountedAndNeverPublished() {
        OutputCapture capture = capture(5, 64);

        publish(capture.append(STDOUT, bytes("abc"), NOW));
        publish(capture.append(STDOUT, bytes("defg"), NOW));
        publish(capture.append(STDOUT, bytes("more"), NOW));
        publish(capture.flush(NOW));
        publish(capture.append(STDOUT, bytes("even more"), NOW));
        publish(capture.flush(NOW));

        assertThat(retained(STDOUT)).isEqualTo("abcde");
        assertThat(capture.summary().stdoutBytes()).isEqualTo(20);
        assertThat(capture.summary().stdoutTruncated()).isTrue();
        assertThat(capture.summary().chunks()).isEqualTo(1);
    }

    @Test
    void eachStreamHasItsOwnCap() {
        OutputCapture capture = capture(3, 64);

        publish(capture.append(STDOUT, bytes("abcdef"), NOW));
        publish(capture.append(STDERR, bytes("xy"), NOW));
        publish(capture.flush(NOW));

        assertThat(retained(STDOUT)).isEqualTo("abc");
        assertThat(retained(STDERR)).isEqualTo("xy");
        assertThat(capture.summary()).isEqualTo(new OutputSummary(6, 2, true, false, 2));
    }

    @Test
    void aZeroCapRetainsNothingButCountsEverything() {
        OutputCapture capture = capture(0, 64);

        publish(capture.append(STDOUT, bytes("abc"), NOW));
        publish(capture.append(STDERR, bytes(""), NOW));
        publish(capture.flush(NOW));

        assertThat(published).isEmpty();
        assertThat(capture.summary()).isEqualTo(new OutputSummary(3, 0, true, false, 0));
    }

    @Test
    void aCapMaySplitAMultiByteCharacter() {
        OutputCapture capture = capture(2, 64);

        publish(capture.append(STDOUT, "é!".getBytes(UTF_8), NOW));
        publish(capture.flush(NOW));

        assertThat(published.getFirst().data()).containsExactly("é".getBytes(UTF_8));
        capture = capture(1, 64);
        published.clear();
        publish(capture.append(STDOUT, "é".getBytes(UTF_8), NOW));
        publish(capture.flush(NOW));
        assertThat(published.getFirst().data()).containsExactly("é".getBytes(UTF_8)[0]);
    }

    @Test
    void noOutputMeansAnEmptySummary() {
        assertThat(capture(1024, 64).summary()).isEqualTo(OutputSummary.NONE);
    }

    @Test
    void manyFramesReassembleInOrder() {
        OutputCapture capture = capture(100_000, 1000);
        ByteArrayOutputStream written = new ByteArrayOutputStream();

        for (int i = 0; i < 20_000; i++) {
            byte[] frame = bytes("line " + i + "\n");
            written.writeBytes(frame);
            publish(capture.append(STDOUT, frame, NOW));
        }
        publish(capture.flush(NOW));

        assertThat(written.size()).isGreaterThan(100_000);
        assertThat(retained(STDOUT)).isEqualTo(written.toString(UTF_8).substring(0, 100_000));
        assertThat(published).allSatisfy(chunk -> assertThat(chunk.data().length).isLessThanOrEqualTo(1000));
        assertThat(capture.summary().stdoutBytes()).isEqualTo(written.size());
        assertThat(capture.summary().chunks()).isEqualTo(published.size()).isEqualTo(100);
    }

    @Test
    void aCaptureNeedsAPositiveChunkSizeAndANonNegativeCap() {
        assertThatIllegalArgumentException().isThrownBy(() -> capture(-1, 64));
        assertThatIllegalArgumentException().isThrownBy(() -> capture(1024, 0));
    }

    private static OutputCapture capture(long cap, int chunkBytes) {
        return new OutputCapture("acme", "run-1", 2, cap, chunkBytes);
    }

    private void publish(List<OutputChunk> chunks) {
        published.addAll(chunks);
    }

    private String retained(OutputStream stream) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        published.stream().filter(chunk -> chunk.stream() == stream).forEach(chunk -> all.writeBytes(chunk.data()));
        return all.toString(UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    private static String text(OutputChunk chunk) {
        return new String(chunk.data(), UTF_8);
    }
}
