package dev.convexpipeline;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Static checks of the container stack in docker/ (no Docker engine runs the tests): the compose
 * files parse and refer only to what they define, the documented order is encoded as dependencies,
 * every variable is in .env.example and the README, and the Dockerfile copies what the server needs.
 */
class DockerStackTest {
    private static final Path DOCKER = Path.of("docker");
    private static final Pattern INTERPOLATION = Pattern.compile("(?<!\\$)\\$\\{([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern ENV_PLACEHOLDER = Pattern.compile("\\{\\{env:([A-Z0-9_]+):");
    private static final Pattern ENV_EXAMPLE_LINE = Pattern.compile("^#?([A-Z][A-Z0-9_]*)=(.*)$");

    private static Map<String, Object> base;
    private static Map<String, Object> cluster;

    @BeforeAll
    static void parse() throws IOException {
        base = compose("docker-compose.yml");
        cluster = compose("docker-compose.cluster.yml");
    }

    @Test
    void everyReferenceInTheComposeFilesIsDefined() {
        Map<String, Map<String, Object>> services = new LinkedHashMap<>(services(base));
        services(cluster).forEach((name, service) -> services.merge(name, service, (a, b) -> a));
        Set<String> volumes = new LinkedHashSet<>(map(base.get("volumes")).keySet());
        volumes.addAll(map(cluster.get("volumes")).keySet());

        List<String> problems = new ArrayList<>();
        services.forEach((name, service) -> {
            for (String dependency : dependsOn(service).keySet()) {
                if (!services.containsKey(dependency)) {
                    problems.add(name + " depends on undefined service " + dependency);
                }
            }
            for (Object mount : list(service.get("volumes"))) {
                String source = String.valueOf(mount).split(":")[0];
                if (!source.startsWith(".") && !source.startsWith("/") && !volumes.contains(source)) {
                    problems.add(name + " mounts undefined volume " + source);
                }
            }
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void theDocumentedOrderIsEncodedAsDependencies() {
        Map<String, Map<String, Object>> services = services(base);
        Map<String, String> pipeline = conditions(services.get("pipeline"));
        assertThat(pipeline).containsEntry("backend", "service_healthy")
                .containsEntry("convex-functions", "service_completed_successfully")
                .containsEntry("s3-bucket", "service_completed_successfully");
        assertThat(conditions(services.get("convex-functions")))
                .containsEntry("convex-admin-key", "service_completed_successfully")
                .containsEntry("backend", "service_healthy");
        assertThat(conditions(services.get("s3-bucket"))).containsEntry("s3", "service_healthy");
        // The key is generated inside the stack: nothing must demand it before `up`.
        assertThat(Files.exists(DOCKER.resolve("docker-compose.yml"))).isTrue();
        assertThat(text("docker-compose.yml")).doesNotContain("CONVEX_SERVICE_TOKEN:?")
                .doesNotContain("CONVEX_SERVICE_TOKEN=$");
        // The pipeline reads the key from the volume the init step writes.
        String keyFile = environment(services.get("pipeline")).get("CONVEX_SERVICE_TOKEN_FILE");
        assertThat(keyFile).isNotNull();
        assertThat(mountPoint(services.get("pipeline"), "convex-admin-key")).isNotNull();
        assertThat(keyFile).startsWith(mountPoint(services.get("pipeline"), "convex-admin-key") + "/");
        assertThat(String.valueOf(services.get("convex-admin-key").get("command"))).contains(keyFile);
        assertThat(environment(services.get("convex-functions")).get("CONVEX_SELF_HOSTED_ADMIN_KEY_FILE"))
                .isEqualTo(keyFile);
        assertThat(String.valueOf(services.get("s3-bucket").get("command"))).contains("mc mb --ignore-existing");
    }

    @Test
    void longRunningServicesRestartAndOneShotsDoNot() {
        Map<String, Map<String, Object>> services = new LinkedHashMap<>(services(base));
        services.putAll(services(cluster).entrySet().stream()
                .filter(e -> !services.containsKey(e.getKey()))
                .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll));
        Set<String> oneShots = new LinkedHashSet<>();
        services.values().forEach(service -> conditions(service).forEach((dependency, condition) -> {
            if (condition.equals("service_completed_successfully")) {
                oneShots.add(dependency);
            }
        }));
        assertThat(oneShots).contains("convex-admin-key", "convex-functions", "s3-bucket");
        services.forEach((name, service) -> {
            if (oneShots.contains(name)) {
                assertThat(service.get("restart")).as(name).isNull();
            } else {
                assertThat(service.get("restart")).as(name).isEqualTo("unless-stopped");
            }
        });
    }

    @Test
    void theClusterOptionRunsTwoClusteredPipelinesOnPostgres() {
        Map<String, Map<String, Object>> overlay = services(cluster);
        assertThat(overlay).containsKeys("postgres", "pipeline", "pipeline-2");
        Map<String, String> first = new LinkedHashMap<>(environment(services(base).get("pipeline")));
        first.putAll(environment(overlay.get("pipeline")));
        Map<String, String> second = environment(overlay.get("pipeline-2"));
        assertThat(first).containsEntry("QUARTZ_CLUSTERED", "true");
        // The second replica is wired exactly like the first.
        assertThat(second).containsAllEntriesOf(first);
        assertThat(conditions(overlay.get("pipeline-2"))).containsEntry("postgres", "service_healthy");
        assertThat(conditions(overlay.get("pipeline"))).containsEntry("postgres", "service_healthy");
        assertThat(second.get("QUARTZ_JDBC_URL")).contains("//postgres:5432/");
    }

    @Test
    void everyVariableIsInEnvExampleWithAOneLineComment() throws IOException {
        List<String> lines = Files.readAllLines(DOCKER.resolve(".env.example"));
        Map<String, Integer> listed = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            Matcher line = ENV_EXAMPLE_LINE.matcher(lines.get(i));
            if (line.matches()) {
                assertThat(listed.put(line.group(1), i)).as("listed twice: " + line.group(1)).isNull();
                String previous = i == 0 ? "" : lines.get(i - 1);
                assertThat(previous).as("comment above " + line.group(1)).startsWith("# ")
                        .doesNotMatch("^#?[A-Z][A-Z0-9_]*=.*");
            }
        }
        Set<String> needed = new LinkedHashSet<>(pipelineVariables());
        // The logging variables log4j2.properties reads (LOG_LEVEL, LOG_FORMAT).
        Matcher logging = Pattern.compile("\\$\\{env:([A-Z0-9_]+)")
                .matcher(Files.readString(Path.of("src/main/resources/log4j2.properties")));
        while (logging.find()) {
            needed.add(logging.group(1));
        }
        needed.addAll(interpolated("docker-compose.yml"));
        needed.addAll(interpolated("docker-compose.cluster.yml"));
        assertThat(needed).hasSizeGreaterThan(60);
        assertThat(listed.keySet()).containsAll(needed);
        assertThat(needed).containsAll(listed.keySet());
    }

    @Test
    void theStackVariablesAreInTheReadme() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        Set<String> stackOnly = new LinkedHashSet<>(interpolated("docker-compose.yml"));
        stackOnly.removeAll(pipelineVariables());
        assertThat(stackOnly).contains("INSTANCE_SECRET");
        assertThat(stackOnly.stream().filter(variable -> !readme.contains("`" + variable + "`")))
                .as("stack variables the README does not name").isEmpty();
    }

    @Test
    void thePipelineIsWiredOnlyWithVariablesItReads() {
        Set<String> known = new LinkedHashSet<>(pipelineVariables());
        pipelineVariables().forEach(name -> known.add(name + "_FILE"));
        assertThat(known).containsAll(environment(services(base).get("pipeline")).keySet());
        assertThat(known).containsAll(environment(services(cluster).get("pipeline-2")).keySet());
    }

    @Test
    void theDockerfileBuildsFromACleanCheckoutAndCopiesWhatTheServerNeeds() throws IOException {
        String dockerfile = text("Dockerfile");
        Map<String, List<String>> copies = copiesByStage(dockerfile);
        assertThat(copies).containsKeys("build", "convex-functions", "server");
        // The build stage needs nothing built outside it.
        assertThat(copies.get("build")).containsExactly("pom.xml", "src/main");
        // The server stage: the jar from the build stage, the configuration and routes serve reads.
        assertThat(copies.get("server")).contains("--from=build /src/target/server/convex-pipeline-server.jar",
                "config", "routes");
        assertThat(dockerfile).contains("mvn -B -q package -Dserver -Dmaven.test.skip=true");
        assertThat(dockerfile).contains("WORKDIR /opt/convex-pipeline").contains("CMD [\"serve\"]");
        // The compose healthcheck runs curl inside the image: the server stage installs it.
        assertThat(String.valueOf(services(base).get("pipeline").get("healthcheck"))).contains("curl");
        assertThat(dockerfile.substring(dockerfile.indexOf("AS server"))).contains("apt-get install -y --no-install-recommends curl");
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<finalName>convex-pipeline-server</finalName>")
                .contains("<directory>${project.basedir}/target/server</directory>");
        // The server build leaves out the sandbox's packages, and S3Proxy is declared only for the sandbox build.
        String serverProfile = pom.substring(pom.indexOf("<id>server</id>"));
        assertThat(serverProfile).contains("<exclude>dev/convexpipeline/emulator/**</exclude>",
                "<exclude>dev/convexpipeline/sandbox/**</exclude>", "<exclude>dev/convexpipeline/convex/bench/**</exclude>");
        String sandboxProfile = pom.substring(pom.indexOf("<id>sandbox</id>"), pom.indexOf("<id>server</id>"));
        assertThat(sandboxProfile).contains("<artifactId>s3proxy</artifactId>");
        assertThat(pom.substring(0, pom.indexOf("<profiles>"))).doesNotContain("<artifactId>s3proxy</artifactId>");
        assertThat(Path.of("config/application.properties")).isRegularFile();
        assertThat(Files.readString(Path.of("config/application.properties")))
                .contains("file:{{env:PIPELINE_ROUTES_DIR:routes}}/*.camel.yaml");
        // Whatever the Dockerfile copies from the context gets past its .dockerignore.
        String ignore = text("Dockerfile.dockerignore");
        for (List<String> sources : copies.values()) {
            for (String source : sources) {
                if (!source.startsWith("--from=")) {
                    assertThat(ignore).as(".dockerignore lets " + source + " through").contains("!" + source);
                }
            }
        }
        for (String source : List.of("pom.xml", "src/main", "config", "routes", "docker/deploy-convex-functions.sh")) {
            assertThat(Files.exists(Path.of(source))).as(source).isTrue();
        }
    }

    @Test
    void theFunctionsDeployUsesTheRepositoryPackage() throws IOException {
        assertThat(copiesByStage(text("Dockerfile")).get("convex-functions"))
                .contains("package.json", "package-lock.json", "convex");
        assertThat(text("deploy-convex-functions.sh")).contains("exec npx convex deploy")
                .doesNotContain("--admin-key");
        // The convex/ folder and root package.json come with the Convex side of the project.
        assumeTrue(Files.exists(Path.of("package.json")), "no root package.json in this checkout yet");
        assertThat(Files.readString(Path.of("package.json"))).contains("\"convex\": \"1.48.0\"");
        assertThat(Path.of("convex")).isDirectory();
    }

    private static Map<String, List<String>> copiesByStage(String dockerfile) {
        Map<String, List<String>> copies = new LinkedHashMap<>();
        String stage = null;
        for (String line : dockerfile.split("\n")) {
            Matcher from = Pattern.compile("^FROM \\S+ AS (\\S+)").matcher(line);
            if (from.find()) {
                stage = from.group(1);
                copies.put(stage, new ArrayList<>());
            } else if (line.startsWith("COPY ") && stage != null) {
                List<String> words = new ArrayList<>(List.of(line.substring(5).trim().split("\\s+")));
                words.remove(words.size() - 1);
                String fromStage = words.stream().filter(w -> w.startsWith("--from=")).findFirst().orElse(null);
                words.removeIf(w -> w.startsWith("--"));
                for (String word : words) {
                    copies.get(stage).add(fromStage == null ? word : fromStage + " " + word);
                }
            }
        }
        return copies;
    }

    private static Set<String> pipelineVariables() {
        try {
            Set<String> variables = new LinkedHashSet<>();
            Matcher env = ENV_PLACEHOLDER.matcher(Files.readString(Path.of("config/application.properties"))
                    .replaceAll("(?m)^#.*$", ""));
            while (env.find()) {
                variables.add(env.group(1));
            }
            return variables;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Set<String> interpolated(String file) {
        Set<String> variables = new LinkedHashSet<>();
        Matcher variable = INTERPOLATION.matcher(text(file));
        while (variable.find()) {
            variables.add(variable.group(1));
        }
        return variables;
    }

    private static Map<String, Object> compose(String file) {
        Object parsed = new Load(LoadSettings.builder().setLabel(file).build()).loadFromString(text(file));
        assertThat(parsed).as(file).isInstanceOf(Map.class);
        Map<String, Object> document = map(parsed);
        assertThat(document).as(file).containsKey("services");
        return document;
    }

    private static Map<String, Map<String, Object>> services(Map<String, Object> document) {
        Map<String, Map<String, Object>> services = new LinkedHashMap<>();
        map(document.get("services")).forEach((name, service) -> services.put(name, map(service)));
        return services;
    }

    private static Map<String, Object> dependsOn(Map<String, Object> service) {
        Object dependsOn = service.get("depends_on");
        if (dependsOn instanceof List<?> names) {
            Map<String, Object> asMap = new LinkedHashMap<>();
            names.forEach(name -> asMap.put(String.valueOf(name), Map.of("condition", "service_started")));
            return asMap;
        }
        return map(dependsOn);
    }

    private static Map<String, String> conditions(Map<String, Object> service) {
        Map<String, String> conditions = new LinkedHashMap<>();
        dependsOn(service).forEach((name, spec) -> conditions.put(name, String.valueOf(map(spec).get("condition"))));
        return conditions;
    }

    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> environment = new LinkedHashMap<>();
        Object value = service.get("environment");
        if (value instanceof List<?> entries) {
            for (Object entry : entries) {
                String[] pair = String.valueOf(entry).split("=", 2);
                environment.put(pair[0], pair.length > 1 ? pair[1] : null);
            }
        } else {
            map(value).forEach((k, v) -> environment.put(k, String.valueOf(v)));
        }
        return environment;
    }

    private static String mountPoint(Map<String, Object> service, String volume) {
        for (Object mount : list(service.get("volumes"))) {
            String[] parts = String.valueOf(mount).split(":");
            if (parts[0].equals(volume)) {
                return parts[1];
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) value;
    }

    private static List<?> list(Object value) {
        return value == null ? List.of() : (List<?>) value;
    }

    private static String text(String file) {
        try {
            return Files.readString(DOCKER.resolve(file));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
