package dev.coderun.gateway.docs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.json.JsonMapper;

/**
 * Serves the API's OpenAPI 3.1 document, {@value #DOCUMENT}, without authentication: as JSON at {@code /v3/api-docs}
 * and as written at {@code /v3/api-docs.yaml}. The document is hand-written; {@code OpenApiDocumentTest} fails the
 * build when it and the handlers' mappings disagree.
 */
@RestController
class ApiDocsController {

    static final String DOCUMENT = "openapi/coderun.yaml";
    static final MediaType YAML = MediaType.parseMediaType("application/yaml");

    private final byte[] yaml;
    private final byte[] json;

    ApiDocsController() {
        this.yaml = read(DOCUMENT);
        this.json = toJson(yaml);
    }

    @GetMapping("/v3/api-docs")
    ResponseEntity<byte[]> json() {
        return ResponseEntity.ok().contentType(MediaType.APPLICATION_JSON).body(json);
    }

    @GetMapping("/v3/api-docs.yaml")
    ResponseEntity<byte[]> yaml() {
        return ResponseEntity.ok().contentType(YAML).body(yaml);
    }

    /** The YAML document as JSON; both are read once, at start-up. */
    static byte[] toJson(byte[] yaml) {
        Map<String, Object> tree = new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(new String(yaml, StandardCharsets.UTF_8));
        return JsonMapper.builder().build().writeValueAsBytes(tree);
    }

    static byte[] read(String resource) {
        try (InputStream in = ApiDocsController.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
