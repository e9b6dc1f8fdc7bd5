package dev.coderun.gateway.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.coderun.gateway.api.ApiException;
import dev.coderun.gateway.api.FieldViolation;
import dev.coderun.gateway.auth.RouteAccess;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathBeanDefinitionScanner;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.MethodParameter;
import org.springframework.core.annotation.SynthesizingMethodParameter;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

/**
 * The OpenAPI document and the router agree: the gateway's own {@code @RestController}s, mapped by the same
 * {@link RequestMappingHandlerMapping} WebFlux uses (over lazy bean definitions, so no service is needed), give
 * exactly the document's operations; each handler's parameters and body are the documented ones, each operation's
 * scope is the one {@link RouteAccess} declares for its route; the document is valid OpenAPI 3.1 and the JSON served at {@code /v3/api-docs} says what the YAML says.
 */
class OpenApiDocumentTest {

    private static final String YAML = new String(
            ApiDocsController.read(ApiDocsController.DOCUMENT), StandardCharsets.UTF_8);
    private static final String EXTENSION_SCOPE = "x-required-scope";

    private static GenericApplicationContext context;
    private static Map<String, HandlerMethod> handlers;
    private static OpenAPI document;

    @BeforeAll
    static void mapTheRoutesAndReadTheDocument() {
        context = new GenericApplicationContext();
        ClassPathBeanDefinitionScanner scanner = new ClassPathBeanDefinitionScanner(context, false);
        scanner.addIncludeFilter(new AnnotationTypeFilter(RestController.class));
        // Controllers declared inside tests (e.g. RequestBodyLimitTest's echo) are no part of the API.
        scanner.addExcludeFilter((reader, factory) ->
                reader.getResource().getURL().toString().contains("/test-classes/"));
        scanner.scan("dev.coderun.gateway");
        for (String name : context.getBeanDefinitionNames()) {
            BeanDefinition definition = context.getBeanDefinition(name);
            definition.setLazyInit(true); // mapped by type, never constructed: their dependencies need services
        }
        context.refresh();
        RequestMappingHandlerMapping mapping = new RequestMappingHandlerMapping();
        mapping.setApplicationContext(context);
        mapping.afterPropertiesSet();
        handlers = new TreeMap<>();
        mapping.getHandlerMethods().forEach((info, method) ->
                routes(info).forEach(route -> handlers.put(route, method)));

        ParseOptions options = new ParseOptions();
        options.setResolveFully(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(YAML, null, options);
        assertThat(parsed.getMessages()).as("parse messages").isEmpty();
        document = parsed.getOpenAPI();
    }

    @AfterAll
    static void close() {
        context.close();
    }

    @Test
    void theDocumentIsValidOpenApi31WithoutAnyParseMessage() {
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(YAML, null, new ParseOptions());

        assertThat(parsed.getMessages()).isEmpty();
        assertThat(parsed.getOpenAPI().getOpenapi()).startsWith("3.1.");
        assertThat(parsed.getOpenAPI().getSpecVersion()).isEqualTo(io.swagger.v3.oas.models.SpecVersion.V31);
    }

    @Test
    void theServedJsonSaysWhatTheYamlSays() throws Exception {
        byte[] json = ApiDocsController.toJson(YAML.getBytes(StandardCharsets.UTF_8));

        assertThat(new ObjectMapper().readTree(json)).isEqualTo(new ObjectMapper(new YAMLFactory()).readTree(YAML));
        String served = new String(json, StandardCharsets.UTF_8);
        assertThat(new OpenAPIV3Parser().readContents(served, null, new ParseOptions()).getMessages()).isEmpty();
    }

    @Test
    void everyHandlerIsDocumentedAndEveryDocumentedOperationHasAHandler() {
        assertThat(handlers).as("the scan found the gateway's controllers").isNotEmpty();

        assertThat(documentedRoutes()).containsExactlyInAnyOrderElementsOf(handlers.keySet());
    }

    @Test
    void everyQueryParameterAndHeaderAHandlerBindsIsDocumented() {
        Map<String, List<String>> undocumented = new TreeMap<>();
        documentedHandlers().forEach((route, handler) -> {
            Operation operation = operation(route);
            Set<String> query = documented(route, "query", false);
            Set<String> headers = documented(route, "header", true);
            for (MethodParameter parameter : parameters(handler)) {
                RequestParam param = parameter.getParameterAnnotation(RequestParam.class);
                if (param != null && !query.contains(name(param.name(), parameter))) {
                    undocumented.computeIfAbsent(route, r -> new ArrayList<>())
                            .add("query " + name(param.name(), parameter));
                }
                RequestHeader header = parameter.getParameterAnnotation(RequestHeader.class);
                if (header != null && !headers.contains(name(header.name(), parameter).toLowerCase(Locale.ROOT))) {
                    undocumented.computeIfAbsent(route, r -> new ArrayList<>()).add("header " + header.name());
                }
            }
            boolean bindsBody = parameters(handler).stream().anyMatch(p -> p.hasParameterAnnotation(RequestBody.class));
            if (bindsBody != (operation.getRequestBody() != null)) {
                undocumented.computeIfAbsent(route, r -> new ArrayList<>())
                        .add(bindsBody ? "request body not documented" : "documented request body not bound");
            }
        });

        assertThat(undocumented).isEmpty();
    }

    @Test
    void eachOperationRequiresTheScopeTheRouteTableDeclaresAndTheTableCoversEveryOperation() {
        Map<String, String> declared = RouteAccess.scopesByRoute();
        Map<String, String> mismatches = new TreeMap<>();
        Set<String> open = new TreeSet<>();
        documentedRoutes().forEach(route -> {
            Operation operation = operation(route);
            Object extension = operation.getExtensions() == null
                    ? null : operation.getExtensions().get(EXTENSION_SCOPE);
            String documented = extension == null ? "" : extension.toString();
            Set<String> secured = operation.getSecurity() == null ? null : operation.getSecurity().stream()
                    .flatMap(requirement -> requirement.values().stream().flatMap(List::stream))
                    .collect(Collectors.toSet());
            if (operation.getSecurity() != null && operation.getSecurity().isEmpty()) {
                open.add(route); // `security: []`: no token needed
                return;
            }
            String table = declared.get(route);
            Set<String> documentedSet = documented.isEmpty() ? Set.of() : Set.of(documented);
            if (table == null || !table.equals(documented) || !documentedSet.equals(secured)) {
                mismatches.put(route, "RouteAccess says " + (table == null ? "nothing" : "'" + table + "'") + ", "
                        + EXTENSION_SCOPE + " says '" + documented + "', security says " + secured);
            }
        });
        Set<String> undocumented = new TreeSet<>(declared.keySet());
        undocumented.removeAll(documentedRoutes());

        assertThat(mismatches).isEmpty();
        assertThat(undocumented).as("RouteAccess rows without an operation").isEmpty();
        assertThat(open).as("the routes open without a token").containsExactlyInAnyOrder(
                "GET /v3/api-docs", "GET /v3/api-docs.yaml");
    }

    @Test
    void everyErrorCodeTheApiRaisesIsDocumented() throws Exception {
        List<String> documented = document.getComponents().getSchemas().get("ErrorCode").getEnum().stream()
                .map(Object::toString).toList();
        Set<String> raised = new TreeSet<>();
        for (Method factory : ApiException.class.getMethods()) {
            if (Modifier.isStatic(factory.getModifiers()) && factory.getReturnType() == ApiException.class) {
                Object[] args = Stream.of(factory.getParameterTypes()).map(OpenApiDocumentTest::sample).toArray();
                if (Stream.of(args).allMatch(a -> a != null)) {
                    raised.add(((ApiException) factory.invoke(null, args)).code());
                }
            }
        }

        assertThat(raised).as("codes of ApiException's factories").isNotEmpty();
        assertThat(documented).containsAll(raised);
    }

    private static Object sample(Class<?> type) {
        if (type == String.class) {
            return "x";
        } else if (type == List.class) {
            return List.of();
        } else if (type == FieldViolation.class) {
            return FieldViolation.required("x");
        } else if (type == Duration.class) {
            return Duration.ofSeconds(1);
        }
        return null; // a factory taking its code as an argument names no code of its own
    }

    /** The handlers of documented routes; an undocumented one fails the route test, not these. */
    private static Map<String, HandlerMethod> documentedHandlers() {
        Map<String, HandlerMethod> documented = new TreeMap<>(handlers);
        documented.keySet().retainAll(documentedRoutes());
        return documented;
    }

    private static Set<String> documentedRoutes() {
        Set<String> routes = new TreeSet<>();
        document.getPaths().forEach((path, item) -> item.readOperationsMap().keySet()
                .forEach(method -> routes.add(method.name() + " " + path)));
        return routes;
    }

    private static Operation operation(String route) {
        String[] parts = route.split(" ", 2);
        return document.getPaths().get(parts[1]).readOperationsMap().get(PathItem.HttpMethod.valueOf(parts[0]));
    }

    private static Set<String> documented(String route, String in, boolean ignoreCase) {
        PathItem item = document.getPaths().get(route.split(" ", 2)[1]);
        List<Parameter> all = new ArrayList<>();
        if (item.getParameters() != null) {
            all.addAll(item.getParameters());
        }
        if (operation(route).getParameters() != null) {
            all.addAll(operation(route).getParameters());
        }
        return all.stream()
                .filter(p -> in.equals(p.getIn()))
                .map(p -> ignoreCase ? p.getName().toLowerCase(Locale.ROOT) : p.getName())
                .collect(Collectors.toSet());
    }

    private static List<MethodParameter> parameters(HandlerMethod handler) {
        List<MethodParameter> parameters = new ArrayList<>();
        for (int i = 0; i < handler.getMethod().getParameterCount(); i++) {
            MethodParameter parameter = new SynthesizingMethodParameter(handler.getMethod(), i);
            parameter.initParameterNameDiscovery(new org.springframework.core.DefaultParameterNameDiscoverer());
            parameters.add(parameter);
        }
        return parameters;
    }

    private static String name(String declared, MethodParameter parameter) {
        return declared.isEmpty() ? parameter.getParameterName() : declared;
    }

    private static Set<String> routes(RequestMappingInfo info) {
        Set<String> routes = new TreeSet<>();
        Set<org.springframework.web.bind.annotation.RequestMethod> methods = info.getMethodsCondition().getMethods();
        for (PathPattern pattern : info.getPatternsCondition().getPatterns()) {
            if (methods.isEmpty()) {
                routes.add("ANY " + pattern.getPatternString());
            }
            methods.forEach(method -> routes.add(method.name() + " " + pattern.getPatternString()));
        }
        return routes;
    }
}
