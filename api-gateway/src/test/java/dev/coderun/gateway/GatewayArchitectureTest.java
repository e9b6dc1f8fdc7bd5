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
import dev.coderun.gateway.runs.RequestLimits;

/**
 * The gateway's feature packages stay a graph without cycles: {@code api} is the shared base (errors, envelopes,
 * request ids) and knows no feature; the projection reads runs, never the other way round.
 */
@AnalyzeClasses(packages = "dev.coderun.gateway", importOptions = ImportOption.DoNotIncludeTests.class)
class GatewayArchitectureTest {

    /**
     * runs -> runtimes is the design (a run is submitted against a runtime). runtimes -> runs exists only because the
     * shared {@link RequestLimits} lives in {@code runs}; that one edge is exempt until it moves to a neutral package,
     * and {@link #runtimesUseNothingOfRunsButItsLimits} keeps the exemption from growing.
     */
    @ArchTest
    static final ArchRule featuresAreFreeOfCycles = slices()
            .matching("dev.coderun.gateway.(*)..")
            .should().beFreeOfCycles()
            .ignoreDependency(resideInAPackage("..gateway.runtimes.."), equivalentTo(RequestLimits.class));

    @ArchTest
    static final ArchRule runtimesUseNothingOfRunsButItsLimits = noClasses()
            .that().resideInAPackage("..gateway.runtimes..")
            .should().dependOnClassesThat(
                    resideInAPackage("..gateway.runs..").and(not(equivalentTo(RequestLimits.class))))
            .because("runtimes -> runs would close a cycle; only the misplaced RequestLimits is tolerated");

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
