package dev.coderun.gateway;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The gateway's feature packages stay a graph without cycles: {@code api} is the shared base (errors, envelopes,
 * request ids) and knows no feature; the projection reads runs, never the other way round.
 */
@AnalyzeClasses(packages = "dev.coderun.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class GatewayArchitectureTest {

    /** Feature packages may use each other one way only; shared limits live in their own package. */
    @ArchTest
    static final ArchRule featuresAreFreeOfCycles = slices()
            .matching("dev.coderun.gateway.(*)..")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule runtimesDoNotDependOnRuns = noClasses()
            .that().resideInAPackage("..gateway.runtimes..")
            .should().dependOnClassesThat().resideInAPackage("..gateway.runs..")
            .because("runs build on runtimes, never the other way round");

    @ArchTest
    static final ArchRule apiKnowsNoFeature = noClasses()
            .that().resideInAPackage("..gateway.api..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "..gateway.auth..", "..gateway.runtimes..", "..gateway.runs..", "..gateway.projection..");

    @ArchTest
    static final ArchRule runsDoNotReadTheProjection = noClasses()
            .that().resideInAPackage("..gateway.runs..")
            .should().dependOnClassesThat().resideInAPackage("..gateway.projection..");

    @ArchTest
    static final ArchRule theGatewayDependsOnNoOtherService = noClasses()
            .that().resideInAPackage("dev.coderun.gateway..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.coderun.scheduler..", "dev.coderun.worker..");
}
