package dev.coderun.worker;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The key ring a run's sealed secrets are opened with ({@code coderun.secrets.*}): the gateway's ring, or at least
 * every key the gateway seals under. Bound as plain text and turned into a {@link dev.coderun.events.SecretKeyRing} by
 * {@link WorkerConfiguration}, whose refusal (the worker does not start without a usable key) names what is wrong
 * without echoing a key.
 *
 * @param keys {@code id:base64key[,id:base64key...]}; environment {@code CODERUN_SECRETS_KEYS}. Required
 * @param currentKey may be left out when {@code keys} holds one key (the worker only opens, it never seals)
 */
@ConfigurationProperties("coderun.secrets")
public record SecretsProperties(String keys, String currentKey) {

    /** Names the current key only: the key material never reaches a log. */
    @Override
    public String toString() {
        return "SecretsProperties[keys=(hidden), currentKey=" + currentKey + "]";
    }
}
