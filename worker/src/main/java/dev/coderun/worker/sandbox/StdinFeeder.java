package dev.coderun.worker.sandbox;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * Feeds a container's stdin over an attach connection of its own, then half-closes it so that the process reads EOF
 * (the container is created with {@code StdinOnce}). docker-java's attach cannot do the half-close on a unix socket
 * (its socket refuses {@code shutdownOutput}), which would leave a process that reads to EOF ({@code cat}, an
 * interpreter reading its program) waiting until its timeout. Speaks plain HTTP to {@code unix://} and {@code tcp://}
 * engines; the bytes are written on a virtual thread, as a process may read them slowly or never.
 */
final class StdinFeeder implements AutoCloseable {

    private static final int MAX_RESPONSE_HEAD = 8192;

    private final SocketChannel channel;

    private StdinFeeder(SocketChannel channel) {
        this.channel = channel;
    }

    /** Attaches to the container's stdin; call before the container starts. */
    static StdinFeeder attach(URI dockerHost, String containerId) throws IOException {
        SocketChannel channel = SocketChannel.open(address(dockerHost));
        try {
            write(channel, ("POST /containers/" + containerId + "/attach?stream=1&stdin=1&stdout=0&stderr=0 HTTP/1.1\r\n"
                            + "Host: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String statusLine = readResponseHead(channel);
            // 101 when the engine upgrades the connection, 200 from engines that just keep it open raw.
            if (!statusLine.contains(" 101 ") && !statusLine.contains(" 200 ")) {
                throw new IOException("attaching stdin of " + containerId + " failed: " + statusLine);
            }
            return new StdinFeeder(channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Writes the bytes in the background, then closes the process's stdin. */
    void feed(byte[] stdin) {
        Thread.ofVirtual().name("stdin-feeder").start(() -> {
            try {
                write(channel, stdin);
                channel.shutdownOutput();
            } catch (IOException processGone) {
                // The process exited (or was killed) before reading all of it: nothing left to feed.
            }
        });
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    static SocketAddress address(URI dockerHost) {
        return switch (dockerHost.getScheme()) {
            case "unix" -> UnixDomainSocketAddress.of(dockerHost.getPath());
            case "tcp" -> new InetSocketAddress(dockerHost.getHost(), dockerHost.getPort());
            default -> throw new IllegalArgumentException("stdin needs a unix:// or tcp:// engine, not " + dockerHost);
        };
    }

    static void write(SocketChannel channel, byte[] bytes) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Reads up to the blank line that ends the response head; returns its status line. */
    static String readResponseHead(SocketChannel channel) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (head.size() < MAX_RESPONSE_HEAD) {
            one.clear();
            if (channel.read(one) < 0) {
                break;
            }
            head.write(one.get(0));
            String text = head.toString(StandardCharsets.US_ASCII);
            if (text.endsWith("\r\n\r\n")) {
                return text.substring(0, text.indexOf("\r\n"));
            }
        }
        throw new IOException("the engine closed the stdin attach without a response");
    }
}
