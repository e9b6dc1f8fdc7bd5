package dev.coderun.worker;

import dev.coderun.observability.ServiceObservability;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Import;

/**
 * A worker process: takes dispatched runs from Kafka, executes each in a sandboxed container, streams its output and
 * reports its lifecycle. Scale the fleet by starting more of these, each with its own {@code coderun.worker.id}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
@Import(ServiceObservability.class)
public class WorkerApplication {

    public static void main(String[] args) {
        SpringApplication.run(WorkerApplication.class, args);
    }
}
