package dev.coderun.worker.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostsFileTest {

    @TempDir
    Path dir;

    @Test
    void itIsWrittenWithItsDirectoriesAndEveryUserCanReadIt() throws Exception {
        Path path = dir.resolve("a/b/hosts");

        String written = HostsFile.write(path);

        assertThat(written).isEqualTo(path.toAbsolutePath().toString());
        assertThat(Files.readString(path)).isEqualTo(HostsFile.CONTENT).startsWith("127.0.0.1\tlocalhost\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-r--r--");
        assertThat(dir.resolve("a/b")).isDirectoryContaining(p -> p.equals(path)).isDirectoryNotContaining(
                p -> p.toString().endsWith(".tmp"));
    }

    @Test
    void aFileThatAlreadyHoldsItIsLeftAsItIsAndAnyOtherIsReplaced() throws Exception {
        Path path = dir.resolve("hosts");
        HostsFile.write(path);
        Object inode = Files.getAttribute(path, "unix:ino");

        HostsFile.write(path);
        assertThat(Files.getAttribute(path, "unix:ino")).isEqualTo(inode);

        Files.writeString(path, "10.0.0.1 localhost\n");
        HostsFile.write(path);
        assertThat(Files.readString(path)).isEqualTo(HostsFile.CONTENT);

        Files.write(path, new byte[] {(byte) 0xff, (byte) 0xfe});
        HostsFile.write(path);
        assertThat(Files.readString(path)).isEqualTo(HostsFile.CONTENT);
    }

    @Test
    void aSymbolicLinkAtThePathIsReplacedNotFollowed() throws Exception {
        Path elsewhere = Files.writeString(dir.resolve("elsewhere"), HostsFile.CONTENT);
        Path path = Files.createSymbolicLink(dir.resolve("hosts"), elsewhere);

        HostsFile.write(path);

        assertThat(Files.isSymbolicLink(path)).isFalse();
        assertThat(Files.readString(path)).isEqualTo(HostsFile.CONTENT);
        assertThat(Files.readString(elsewhere)).isEqualTo(HostsFile.CONTENT);
    }
}
