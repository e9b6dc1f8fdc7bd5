package dev.coderun.scheduler;

import dev.coderun.observability.ServiceObservability;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/** The scheduler: consumes commands and run events, owns capacity accounting, dispatches runs to the worker fleet. */
@SpringBootApplication
@ConfigurationPropertiesScan
@Import(ServiceObservability.class)
public class SchedulerApplication {

    public static void main(String[] args) {
        SpringApplication.run(SchedulerApplication.class, args);
    }
}
