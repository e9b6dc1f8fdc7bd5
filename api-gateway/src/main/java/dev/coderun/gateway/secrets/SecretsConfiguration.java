package dev.coderun.gateway.secrets;

import dev.coderun.events.SecretKeyRing;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The gateway's {@link SecretKeyRing}: without a usable one the gateway refuses to start, saying why. */
@Configuration(proxyBeanMethods = false)
class SecretsConfiguration {

    @Bean
    SecretKeyRing secretKeyRing(SecretsProperties properties) {
        try {
            return SecretKeyRing.of(properties.keys(), properties.currentKey());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("runtime secrets and run secret_env are sealed with coderun.secrets.keys: "
                    + e.getMessage());
        }
    }
}
