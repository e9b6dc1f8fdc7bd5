package dev.coderun.worker.sandbox;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.coderun.events.OutputChunk.OutputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** Records what a launcher tells its observer: starts, each stream's bytes, and the ends it told. */
class RecordingObserver implements ContainerObserver {

    final AtomicInteger started = new AtomicInteger();
    final List<ContainerExit> ended = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    @Override
    public void ended(ContainerExit exit) {
        ended.add(exit);
    }

    @Override
    public void started() {
        started.incrementAndGet();
    }

    @Override
    public synchronized void output(OutputStream stream, byte[] bytes) {
        (stream == OutputStream.STDOUT ? stdout : stderr).writeBytes(bytes);
    }

    synchronized String stdout() {
        return stdout.toString(UTF_8);
    }

    synchronized String stderr() {
        return stderr.toString(UTF_8);
    }
}
