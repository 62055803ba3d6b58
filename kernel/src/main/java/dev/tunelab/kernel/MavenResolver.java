package dev.tunelab.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Resolves {@code %maven group:artifact:version} to jars: the local repository first (so it
 * works offline for what is already there), then Maven Central over HTTPS, saving into the
 * local repository as Maven does. Follows compile and runtime dependencies from the POMs
 * (parents, properties, dependencyManagement and imported BOMs; nearest version wins), and
 * skips artifacts the kernel already has on its class path.
 */
final class MavenResolver {
    private static final String CENTRAL = "https://repo.maven.apache.org/maven2/";
    private static final Pattern PROPERTY = Pattern.compile("\\$\\{([^}]+)}");

    record Coordinates(String group, String artifact, String version, String type, String classifier) {
        static Coordinates parse(String s) {
            String[] p = s.trim().split(":");
            return switch (p.length) {
                case 3 -> new Coordinates(p[0], p[1], p[2], "jar", "");
                case 4 -> new Coordinates(p[0], p[1], p[3], p[2], "");
                case 5 -> new Coordinates(p[0], p[1], p[4], p[2], p[3]);
                default -> throw new IllegalArgumentException(
                        "expected group:artifact:version (or group:artifact:type[:classifier]:version), got '" + s + "'");
            };
        }

        String key() {
            return group + ":" + artifact;
        }

        String path(String extension, boolean withClassifier) {
            String name = artifact + "-" + version + (withClassifier && !classifier.isEmpty() ? "-" + classifier : "");
            return group.replace('.', '/') + "/" + artifact + "/" + version + "/" + name + "." + extension;
        }

        @Override
        public String toString() {
            return group + ":" + artifact + ":" + version;
        }
    }

    private final Path localRepo;
    private final Set<String> onClassPath;
    private HttpClient http;
    private final Map<String, Pom> poms = new HashMap<>();

    MavenResolver(Path localRepo, Set<String> jarNamesOnClassPath) {
        this.localRepo = localRepo;
        this.onClassPath = jarNamesOnClassPath;
    }

    static Path defaultLocalRepo() {
        String override = System.getProperty("maven.repo.local", System.getenv("TUNELAB_M2_REPO"));
        return override != null ? Path.of(override) : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /** The jars of {@code coordinates} and its runtime dependencies, in resolution order. */
    List<Path> resolve(String coordinates) throws IOException {
        Coordinates root = Coordinates.parse(coordinates);
        List<Path> jars = new ArrayList<>();
        Map<String, String> chosen = new LinkedHashMap<>();
        Deque<Coordinates> queue = new ArrayDeque<>(List.of(root));
        while (!queue.isEmpty()) {
            Coordinates c = queue.poll();
            if (chosen.containsKey(c.key())) continue; // nearest declaration wins
            chosen.put(c.key(), c.version());
            if (c != root && alreadyOnClassPath(c)) continue;
            if (c.type().equals("jar") || c.type().equals("bundle")) jars.add(fetch(c.path("jar", true)));
            Pom pom = pom(c);
            for (Coordinates dep : pom.runtimeDependencies()) if (!chosen.containsKey(dep.key())) queue.add(dep);
        }
        return jars;
    }

    private boolean alreadyOnClassPath(Coordinates c) {
        for (String name : onClassPath) {
            if (name.startsWith(c.artifact() + "-") && name.length() > c.artifact().length() + 1 && Character.isDigit(name.charAt(c.artifact().length() + 1))) return true;
        }
        return false;
    }

    private Pom pom(Coordinates c) throws IOException {
        String key = c.key() + ":" + c.version();
        Pom cached = poms.get(key);
        if (cached != null) return cached;
        Pom pom = new Pom(parse(fetch(c.path("pom", false))));
        poms.put(key, pom);
        return pom;
    }

    /** A file from the local repository, downloaded into it first when missing. */
    private Path fetch(String relative) throws IOException {
        Path local = localRepo.resolve(relative);
        if (Files.isRegularFile(local)) return local;
        URI uri = URI.create(CENTRAL + relative);
        HttpResponse<InputStream> response;
        try {
            if (http == null) http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                    .followRedirects(HttpClient.Redirect.NORMAL).build();
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new IOException("not in the local repository (" + local + ") and Maven Central is unreachable: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while downloading " + uri, e);
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw new IOException("not in the local repository (" + local + ") and " + uri + " answered HTTP " + response.statusCode());
            }
            Files.createDirectories(local.getParent());
            Path tmp = Files.createTempFile(local.getParent(), local.getFileName().toString(), ".part");
            Files.copy(body, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, local, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return local;
    }

    private static Document parse(Path pom) throws IOException {
        try {
            var factory = DocumentBuilderFactory.newInstance();
            factory.setExpandEntityReferences(false);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return factory.newDocumentBuilder().parse(pom.toFile());
        } catch (Exception e) {
            throw new IOException("cannot read POM " + pom + ": " + e.getMessage(), e);
        }
    }

    /** The parts of a POM (with its parents) that dependency resolution needs. */
    private final class Pom {
        private final Map<String, String> properties = new HashMap<>();
        private final Map<String, String> managed = new HashMap<>();
        private final List<Element> dependencies = new ArrayList<>();

        Pom(Document doc) throws IOException {
            Element project = doc.getDocumentElement();
            Element parent = child(project, "parent");
            if (parent != null) {
                Pom p = pom(new Coordinates(text(parent, "groupId"), text(parent, "artifactId"), text(parent, "version"), "pom", ""));
                properties.putAll(p.properties);
                managed.putAll(p.managed);
                properties.put("project.parent.version", text(parent, "version"));
                properties.put("project.parent.groupId", text(parent, "groupId"));
            }
            String group = text(project, "groupId") != null ? text(project, "groupId") : properties.get("project.parent.groupId");
            String version = text(project, "version") != null ? text(project, "version") : properties.get("project.parent.version");
            properties.put("project.groupId", group);
            properties.put("project.version", version);
            properties.put("pom.version", version);
            properties.put("version", version);
            Element props = child(project, "properties");
            if (props != null) for (Element e : children(props)) properties.put(e.getTagName(), e.getTextContent().trim());
            Element management = child(project, "dependencyManagement");
            Element managedDeps = management == null ? null : child(management, "dependencies");
            if (managedDeps != null) {
                for (Element d : children(managedDeps)) {
                    String g = value(d, "groupId"), a = value(d, "artifactId"), v = value(d, "version");
                    if ("import".equals(value(d, "scope"))) {
                        managed.putAll(pom(new Coordinates(g, a, v, "pom", "")).managed);
                    } else if (v != null) {
                        managed.put(g + ":" + a, v);
                    }
                }
            }
            Element deps = child(project, "dependencies");
            if (deps != null) dependencies.addAll(children(deps));
        }

        List<Coordinates> runtimeDependencies() {
            List<Coordinates> out = new ArrayList<>();
            for (Element d : dependencies) {
                String scope = value(d, "scope");
                if (scope != null && !scope.equals("compile") && !scope.equals("runtime")) continue;
                if ("true".equals(value(d, "optional"))) continue;
                String g = value(d, "groupId"), a = value(d, "artifactId");
                String v = value(d, "version");
                if (v == null) v = managed.get(g + ":" + a);
                if (v == null) continue; // unresolvable; Maven would fail, a notebook can still try
                if (v.startsWith("[") || v.startsWith("(")) v = v.replaceAll("[\\[\\]()]", "").split(",")[0];
                String type = value(d, "type");
                String classifier = value(d, "classifier");
                out.add(new Coordinates(g, a, v, type == null ? "jar" : type, classifier == null ? "" : classifier));
            }
            return out;
        }

        private String value(Element parent, String tag) {
            String raw = text(parent, tag);
            return raw == null ? null : interpolate(raw);
        }

        private String interpolate(String s) {
            for (int depth = 0; depth < 10 && s.contains("${"); depth++) {
                Matcher m = PROPERTY.matcher(s);
                StringBuilder out = new StringBuilder();
                while (m.find()) {
                    String v = properties.get(m.group(1));
                    m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
                }
                m.appendTail(out);
                if (out.toString().equals(s)) break;
                s = out.toString();
            }
            return s;
        }
    }

    private static Element child(Element parent, String tag) {
        for (Element e : children(parent)) if (e.getTagName().equals(tag)) return e;
        return null;
    }

    private static String text(Element parent, String tag) {
        Element e = child(parent, tag);
        return e == null ? null : e.getTextContent().trim();
    }

    private static List<Element> children(Element parent) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e) out.add(e);
        }
        return out;
    }

    static Set<String> jarNamesOnClassPath() {
        Set<String> names = new HashSet<>();
        for (String entry : System.getProperty("java.class.path", "").split(java.io.File.pathSeparator)) {
            names.add(Path.of(entry).getFileName() == null ? entry : Path.of(entry).getFileName().toString());
        }
        return names;
    }
}
