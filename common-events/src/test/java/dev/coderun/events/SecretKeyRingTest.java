package dev.coderun.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecretKeyRingTest {

    private static final String K1 = SecretKeyRing.newKey();
    private static final String K2 = SecretKeyRing.newKey();
    private static final Map<String, String> SECRETS = Map.of("API_TOKEN", "tok-3c9f", "DB_PASSWORD", "pw=ü;\n,.");

    @Test
    void whatIsSealedOpensAgainForTheSameContext() {
        SecretKeyRing ring = SecretKeyRing.of("k1:" + K1, null);

        String sealed = ring.seal(SECRETS, "run 1");

        assertThat(ring.open(sealed, "run 1")).isEqualTo(SECRETS);
        assertThat(SecretKeyRing.keyIdOf(sealed)).isEqualTo("k1");
        assertThat(ring.open(ring.seal(Map.of(), "run 1"), "run 1")).isEmpty();
    }

    @Test
    void aSealedValueHoldsNoValueInClearAndDiffersEachTime() {
        SecretKeyRing ring = SecretKeyRing.of("k1:" + K1, null);

        String first = ring.seal(SECRETS, "run 1");

        assertThat(first).startsWith("v1.k1.").isNotEqualTo(ring.seal(SECRETS, "run 1"));
        for (String value : SECRETS.values()) {
            assertThat(first).doesNotContain(value)
                    .doesNotContain(Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void anAlteredSealedValueDoesNotOpen() {
        SecretKeyRing ring = SecretKeyRing.of("k1:" + K1, null);
        String sealed = ring.seal(SECRETS, "run 1");
        int at = sealed.length() / 2;
        String flipped = sealed.substring(0, at) + (sealed.charAt(at) == 'x' ? 'y' : 'x') + sealed.substring(at + 1);

        assertThatThrownBy(() -> ring.open(flipped, "run 1"))
                .isInstanceOf(SecretKeyRing.SealedSecretsException.class)
                .hasMessageContaining("altered");
        assertThatThrownBy(() -> ring.open(sealed.substring(0, 20), "run 1"))
                .isInstanceOf(SecretKeyRing.SealedSecretsException.class);
        assertThatThrownBy(() -> ring.open("garbage", "run 1"))
                .isInstanceOf(SecretKeyRing.SealedSecretsException.class)
                .hasMessageContaining("not a sealed secrets value");
    }

    @Test
    void aValueSealedForOneContextDoesNotOpenForAnother() {
        SecretKeyRing ring = SecretKeyRing.of("k1:" + K1, null);

        String sealed = ring.seal(SECRETS, "run 1");

        assertThatThrownBy(() -> ring.open(sealed, "run 2"))
                .isInstanceOf(SecretKeyRing.SealedSecretsException.class)
                .hasMessageContaining("another owner");
    }

    @Test
    void aValueSealedUnderAKeyTheRingLacksNamesThatKey() {
        String sealed = SecretKeyRing.of("old:" + K1, null).seal(SECRETS, "run 1");
        SecretKeyRing other = SecretKeyRing.of("new:" + K2, null);

        assertThatThrownBy(() -> other.open(sealed, "run 1"))
                .isInstanceOf(SecretKeyRing.SealedSecretsException.class)
                .hasMessageContaining("key 'old'")
                .hasMessageContaining("[new]");
    }

    @Test
    void afterARotationOldValuesStillOpenAndResealUnderTheNewKey() {
        SecretKeyRing before = SecretKeyRing.of("k1:" + K1, "k1");
        String sealedBefore = before.seal(SECRETS, "runtime acme/py");
        SecretKeyRing after = SecretKeyRing.of("k1:" + K1 + ",k2:" + K2, "k2");

        assertThat(after.open(sealedBefore, "runtime acme/py")).isEqualTo(SECRETS);
        assertThat(after.isCurrent(sealedBefore)).isFalse();
        String resealed = after.reseal(sealedBefore, "runtime acme/py");
        assertThat(SecretKeyRing.keyIdOf(resealed)).isEqualTo("k2");
        assertThat(after.isCurrent(resealed)).isTrue();
        assertThat(SecretKeyRing.of("k2:" + K2, null).open(resealed, "runtime acme/py")).isEqualTo(SECRETS);
    }

    @Test
    void fingerprintsTellEqualSecretsApartFromChangedOnesUnderTheKeyTheyName() {
        SecretKeyRing before = SecretKeyRing.of("k1:" + K1, null);
        String stored = before.fingerprint(SECRETS, "runtime acme/py");
        SecretKeyRing after = SecretKeyRing.of("k1:" + K1 + ",k2:" + K2, "k2");

        assertThat(stored).startsWith("k1.").doesNotContain("tok-3c9f");
        assertThat(after.matches(stored, SECRETS, "runtime acme/py")).isTrue();
        assertThat(after.matches(stored, Map.of("API_TOKEN", "tok-3c9f"), "runtime acme/py")).isFalse();
        assertThat(after.matches(stored, SECRETS, "runtime acme/other")).isFalse();
        assertThat(after.fingerprint(SECRETS, "runtime acme/py")).startsWith("k2.").isNotEqualTo(stored);
        assertThat(after.fingerprintsUnderEveryKey(SECRETS, "c"))
                .containsExactly(after.fingerprint(SECRETS, "c"), before.fingerprint(SECRETS, "c"));
        assertThat(SecretKeyRing.of("k2:" + K2, null).matches(stored, SECRETS, "runtime acme/py")).isFalse();
    }

    @Test
    void aBadConfigurationIsRefusedWithoutEchoingKeyMaterial() {
        String shortKey = Base64.getEncoder().encodeToString(new byte[16]);

        assertThatThrownBy(() -> SecretKeyRing.of("", null)).hasMessageContaining("coderun.secrets.keys");
        assertThatThrownBy(() -> SecretKeyRing.of("k1:" + shortKey, null))
                .hasMessageContaining("16 bytes").hasMessageNotContaining(shortKey);
        assertThatThrownBy(() -> SecretKeyRing.of("k1:not base64!", null))
                .hasMessageContaining("not valid base64").hasMessageNotContaining("not base64!");
        assertThatThrownBy(() -> SecretKeyRing.of(K1, null))
                .hasMessageContaining("entry 1").hasMessageNotContaining(K1);
        assertThatThrownBy(() -> SecretKeyRing.of("k1:" + K1 + ",k1:" + K2, null)).hasMessageContaining("twice");
        assertThatThrownBy(() -> SecretKeyRing.of("k1:" + K1 + ",k2:" + K2, null))
                .hasMessageContaining("coderun.secrets.current-key");
        assertThatThrownBy(() -> SecretKeyRing.of("k1:" + K1, "k9")).hasMessageContaining("'k9'");
        assertThat(SecretKeyRing.of("k1:" + K1 + ",k2:" + K2, "k2").toString())
                .isEqualTo("SecretKeyRing[keys=[k1, k2], current=k2]");
    }
}
