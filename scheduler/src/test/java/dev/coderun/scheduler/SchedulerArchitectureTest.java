package dev.coderun.scheduler;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** Admission is decided purely; Kafka Streams and Spring stay in the applier around it. */
@AnalyzeClasses(packages = "dev.coderun.scheduler", importOptions = ImportOption.DoNotIncludeTests.class)
class SchedulerArchitectureTest {

    @ArchTest
    static final ArchRule admissionDoesNoIo = noClasses()
            .that().resideInAPackage("..scheduler.admission..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "org.apache.kafka..", "org.springframework..", "java.io..", "java.net..", "java.nio.file..")
            .because("admission is a pure decide(state, input) function; the topology applies it");

    @ArchTest
    static final ArchRule admissionKnowsNoTopology = noClasses()
            .that().resideInAPackage("..scheduler.admission..")
            .should().dependOnClassesThat().resideInAPackage("..scheduler.topology..");

    @ArchTest
    static final ArchRule noOtherServiceIsUsed = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.coderun.gateway..", "dev.coderun.worker..");
}
