package dev.coderun.gateway;

import dev.coderun.observability.ServiceObservability;
import java.time.Clock;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

/** The HTTP front door: API, auth, validation; produces commands and owns the run read model. */
@SpringBootApplication
@ConfigurationPropertiesScan
@Import(ServiceObservability.class)
public class GatewayApplication {

    /** UTC wall-clock time for rate limits and daily quotas; tests put a clock they control in its place. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
