package dev.coderun.gateway.secrets;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The key ring secrets are sealed with ({@code coderun.secrets.*}); the worker is given the same ring. Bound as plain
 * text and turned into a {@link dev.coderun.events.SecretKeyRing} by {@link SecretsConfiguration}, whose refusal (the
 * gateway does not start without a usable key) names what is wrong without echoing a key.
 *
 * @param keys {@code id:base64key[,id:base64key...]}, each key 32 random bytes ({@code openssl rand -base64 32});
 *     environment {@code CODERUN_SECRETS_KEYS}. Required. Keep an old key in the list after a rotation until every
 *     run sealed under it has ended
 * @param currentKey the id new secrets are sealed under; may be left out when {@code keys} holds one key. At start
 *     the gateway seals every runtime's secrets again under it ({@code runtimes.RuntimeSecretsRewrap})
 */
@ConfigurationProperties("coderun.secrets")
public record SecretsProperties(String keys, String currentKey) {

    /** Names the current key only: the key material never reaches a log. */
    @Override
    public String toString() {
        return "SecretsProperties[keys=(hidden), currentKey=" + currentKey + "]";
    }
}
