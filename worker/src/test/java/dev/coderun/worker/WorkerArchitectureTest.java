package dev.coderun.worker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The feature packages stay a layered graph: dispatch on control, dispatch, control and heartbeat on execution,
 * execution on sandbox and output.
 */
@AnalyzeClasses(packages = "dev.coderun.worker", importOptions = ImportOption.DoNotIncludeTests.class)
class WorkerArchitectureTest {

    @ArchTest
    static final ArchRule featuresAreFreeOfCycles = slices().matching("dev.coderun.worker.(*)..").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule sandboxAndOutputKnowNothingOfRuns = noClasses()
            .that().resideInAnyPackage("..worker.sandbox..", "..worker.output..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "..worker.execution..", "..worker.dispatch..", "..worker.control..", "..worker.heartbeat..");

    /** Runs are taken, stopped and fenced from outside; execution offers the means and knows none of the callers. */
    @ArchTest
    static final ArchRule executionKnowsNothingOfWhoTakesOrStopsRuns = noClasses()
            .that().resideInAPackage("..worker.execution..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "..worker.dispatch..", "..worker.control..", "..worker.heartbeat..");

    @ArchTest
    static final ArchRule outputIsPure = noClasses()
            .that().resideInAPackage("..worker.output..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "org.apache.kafka..", "com.github.dockerjava..", "org.springframework..");

    @ArchTest
    static final ArchRule onlyTheSandboxTalksToDocker = noClasses()
            .that().resideOutsideOfPackage("..worker.sandbox..")
            .should().dependOnClassesThat().resideInAPackage("com.github.dockerjava..");
}
