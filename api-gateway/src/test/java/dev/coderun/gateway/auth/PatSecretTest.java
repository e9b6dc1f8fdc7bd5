package dev.coderun.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PatSecretTest {

    private final SecureRandom random = new SecureRandom();

    @Test
    void aMintedSecretIsThePrefixAndFortyBase62Characters() {
        PatSecret secret = PatSecret.mint(random);

        assertThat(secret.value()).matches("crp_[0-9A-Za-z]{40}");
        assertThat(secret.wellFormed()).isTrue();
        assertThat(PatSecret.isPat(secret.value())).isTrue();
    }

    @Test
    void secretsDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(PatSecret.mint(random).value())).isTrue();
        }
    }

    @Test
    void theStoredHashIsTheSha256OfTheSecret() {
        // echo -n crp_0000000000000000000000000000000000000000 | sha256sum
        PatSecret secret = new PatSecret("crp_" + "0".repeat(40));

        assertThat(HexFormat.of().formatHex(secret.sha256()))
                .isEqualTo("20babe1a7c35b6285a5c72b63593881c54d6282a96bd08d7d0cce58c5ab46cf7");
    }

    @Test
    void theDisplayPrefixIsTheTokenPrefixAndEightCharacters() {
        assertThat(new PatSecret("crp_AbCdEfGh" + "x".repeat(32)).displayPrefix()).isEqualTo("crp_AbCdEfGh");
    }

    @Test
    void printingASecretNeverPrintsIt() {
        PatSecret secret = PatSecret.mint(random);

        assertThat(secret.toString()).doesNotContain(secret.value()).contains(secret.displayPrefix());
        assertThat(new PatSecret("crp_short").toString()).doesNotContain("short");
    }

    @Test
    void jwtsAndOtherShapesAreNotPersonalAccessTokens() {
        assertThat(PatSecret.isPat("eyJhbGciOiJIUzI1NiJ9.e30.sig")).isFalse();
        assertThat(new PatSecret("crp_" + "a".repeat(39)).wellFormed()).isFalse();
        assertThat(new PatSecret("crp_" + "a".repeat(41)).wellFormed()).isFalse();
        assertThat(new PatSecret("crp_" + "a".repeat(39) + "-").wellFormed()).isFalse();
    }
}
