package dev.coderun.worker.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * The {@code /etc/hosts} of runs without a network whose containers are created with the engine's networking off
 * ({@link ContainerSpec#hostsFile()}): the lines the engine's {@code none} network writes into each container's own
 * copy, kept in one file of the worker's host that every such container has bound read-only. Without it nothing
 * would resolve {@code localhost} in those containers.
 */
public final class HostsFile {

    /** What the engine's {@code none} network writes (Docker 20.10), byte for byte. */
    static final String CONTENT = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;

    private HostsFile() {}

    private static final byte[] BYTES = CONTENT.getBytes(StandardCharsets.UTF_8);

    /**
     * Writes the file at {@code path}, with its directories, unless it already holds {@link #CONTENT}; readable by
     * every user, since containers run as one that is not root. The write goes through a file beside it and a rename,
     * so a container started meanwhile (by another worker sharing the path) binds the old file or the new, never half
     * of one, and a symbolic link at the path is replaced, not followed. Answers the absolute path.
     */
    public static String write(Path path) throws IOException {
        Path file = path.toAbsolutePath();
        if (holdsContent(file)) {
            return file.toString();
        }
        Files.createDirectories(file.getParent());
        Path written = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.writeString(written, CONTENT, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("rw-r--r--"));
            Files.move(written, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(written);
        }
        return file.toString();
    }

    /**
     * {@link #write} before a container that binds the file is created: a file removed while the worker runs (by a
     * cleaner of its directory, say) is written again instead of failing every run after it. A look at 150 bytes when
     * the file is there, against the tens of milliseconds a creation takes.
     */
    static void ensure(String path) {
        try {
            write(Path.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException("the hosts file " + path + " cannot be written", e);
        }
    }

    private static boolean holdsContent(Path file) throws IOException {
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) == BYTES.length
                && Arrays.equals(Files.readAllBytes(file), BYTES);
    }
}
