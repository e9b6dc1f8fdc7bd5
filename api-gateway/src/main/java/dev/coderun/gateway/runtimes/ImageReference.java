package dev.coderun.gateway.runtimes;

/**
 * An image uri split the way Docker reads it: {@code [registry/]repository[:tag]}. The first path component is a
 * registry when it has a dot or a port or is {@code localhost}.
 *
 * @param tag the uri's tag, or null when it has none. Runs always start {@code uri@digest}, so the tag names nothing a
 *     run uses: validation resolves the pinned digest, and reads the tag only to explain a digest it did not find
 */
public record ImageReference(String registry, String repository, String tag) {

    public static ImageReference parse(String uri) {
        String rest = uri;
        String registry = "registry-1.docker.io";
        int slash = uri.indexOf('/');
        if (slash > 0) {
            String first = uri.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first;
                rest = uri.substring(slash + 1);
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (registry.equals("registry-1.docker.io") && !rest.contains("/")) {
            rest = "library/" + rest;
        }
        return new ImageReference(registry, rest, tag);
    }
}
