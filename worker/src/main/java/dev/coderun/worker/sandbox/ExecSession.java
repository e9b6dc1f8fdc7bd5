package dev.coderun.worker.sandbox;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts a created exec and carries its streams over a connection of its own: stdin is written and then half-closed,
 * so the process reads EOF (docker-java's hijacked exec start cannot half-close a unix socket, as {@link StdinFeeder}
 * explains for attach); stdout and stderr come back multiplexed on the same connection (8-byte frame headers) and are
 * handed to the sink, in order, from one reader thread. The engine closes the connection when the process's output
 * ends. Speaks plain HTTP to {@code unix://} and {@code tcp://} engines.
 */
final class ExecSession implements AutoCloseable {

    /** The engine's stream ids in a frame header. */
    static final int STDOUT = 1;
    static final int STDERR = 2;

    private static final byte[] START_BODY = "{\"Detach\":false,\"Tty\":false}".getBytes(StandardCharsets.US_ASCII);
    private static final int FRAME_HEADER_BYTES = 8;

    /** Receives each frame's payload, one call at a time, in the order the engine sent them. */
    interface FrameSink {
        void frame(int stream, byte[] payload);
    }

    private final SocketChannel channel;
    private final CountDownLatch ended = new CountDownLatch(1);

    private ExecSession(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Starts the exec. The engine answers before it starts the process, so the process may not run yet when this
     * returns; a process the engine could not start shows as the engine's reason in one stdout frame.
     *
     * @param stdin written to the process and then closed; null when the exec was created without stdin
     */
    static ExecSession start(URI dockerHost, String execId, byte[] stdin, FrameSink sink) throws IOException {
        SocketChannel channel = SocketChannel.open(StdinFeeder.address(dockerHost));
        try {
            StdinFeeder.write(channel, ("POST /exec/" + execId + "/start HTTP/1.1\r\nHost: docker\r\n"
                            + "Content-Type: application/json\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                            + "Content-Length: " + START_BODY.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            StdinFeeder.write(channel, START_BODY);
            String statusLine = StdinFeeder.readResponseHead(channel);
            // 101 when the engine upgrades the connection, 200 from engines that just keep it open raw.
            if (!statusLine.contains(" 101 ") && !statusLine.contains(" 200 ")) {
                throw new IOException("starting exec " + execId + " failed: " + statusLine);
            }
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        ExecSession session = new ExecSession(channel);
        Thread.ofVirtual().name("exec-output").start(() -> session.readFrames(sink));
        if (stdin != null) {
            Thread.ofVirtual().name("exec-stdin").start(() -> session.feed(stdin));
        }
        return session;
    }

    /** Whether the output ended (the process and everything holding its stdout and stderr are gone) in time. */
    boolean awaitEnded(long timeout, TimeUnit unit) throws InterruptedException {
        return ended.await(timeout, unit);
    }

    boolean hasEnded() {
        return ended.getCount() == 0;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void feed(byte[] stdin) {
        try {
            StdinFeeder.write(channel, stdin);
            channel.shutdownOutput();
        } catch (IOException processGone) {
            // The process exited (or was killed) before reading all of it: nothing left to feed.
        }
    }

    private void readFrames(FrameSink sink) {
        ByteBuffer header = ByteBuffer.allocate(FRAME_HEADER_BYTES);
        try {
            while (true) {
                header.clear();
                if (!readFully(header, true)) {
                    return;
                }
                int stream = header.get(0);
                int size = header.getInt(4);
                ByteBuffer payload = ByteBuffer.allocate(size);
                readFully(payload, false);
                sink.frame(stream, payload.array());
            }
        } catch (IOException closed) {
            // Closed by this side (the run is over) or cut by the engine: the output ends here either way.
        } finally {
            ended.countDown();
        }
    }

    /** False on a clean end before the first byte when {@code endAllowed}. */
    private boolean readFully(ByteBuffer buffer, boolean endAllowed) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (endAllowed && buffer.position() == 0) {
                    return false;
                }
                throw new EOFException("the exec stream ended inside a frame");
            }
        }
        return true;
    }
}
