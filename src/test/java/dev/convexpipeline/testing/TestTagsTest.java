package dev.convexpipeline.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A test that needs more than a JDK carries the tag that lets a build leave it out (pom.xml, surefire.excludedGroups):
 * {@code postgres} when it reaches PostgreSQL on 127.0.0.1:5432, {@code npm} when it runs the official convex CLI.
 * Without the tag such a test fails, rather than being skipped, on a machine without them.
 */
class TestTagsTest {
    private static final Path TESTS = Path.of("src/test/java");
    private static final Pattern NEEDS_POSTGRES = Pattern.compile("127\\.0\\.0\\.1:5432|jdbc:postgresql|QuartzClusterNodes");
    private static final Pattern NEEDS_NPM = Pattern.compile("ConvexCli\\.|\"npx\"");
    private static final Pattern EXTENDS = Pattern.compile("\\bclass \\w+ extends (\\w+)");

    @Test
    void testsThatNeedPostgresAreTaggedPostgres() throws IOException {
        assertThat(untagged(NEEDS_POSTGRES, "postgres")).isEmpty();
    }

    @Test
    void testsThatRunTheOfficialCliAreTaggedNpm() throws IOException {
        assertThat(untagged(NEEDS_NPM, "npm")).isEmpty();
    }

    /** The test classes whose source matches {@code needs} without {@code @Tag("tag")} in it or in the class it extends. */
    private static List<Path> untagged(Pattern needs, String tag) throws IOException {
        Map<String, String> sources = testSources();
        List<Path> needing = sources.entrySet().stream()
                .filter(source -> isTest(source.getValue()) && needs.matcher(source.getValue()).find())
                .map(source -> Path.of(source.getKey())).toList();
        assertThat(needing).as("test classes that need %s (the check must see some)", tag).isNotEmpty();
        return needing.stream().filter(test -> !tagged(sources, test.toString(), "@Tag(\"" + tag + "\")")).toList();
    }

    private static boolean tagged(Map<String, String> sources, String file, String tag) {
        String source = sources.get(file);
        if (source.contains(tag)) {
            return true;
        }
        Matcher parent = EXTENDS.matcher(source);
        return parent.find() && sources.entrySet().stream()
                .anyMatch(other -> other.getKey().endsWith("/" + parent.group(1) + ".java") && other.getValue().contains(tag));
    }

    private static boolean isTest(String source) {
        return source.contains("@Test") || source.contains("@ParameterizedTest");
    }

    private static Map<String, String> testSources() throws IOException {
        try (Stream<Path> files = Files.walk(TESTS)) {
            // Not this file: it names what it looks for.
            return files.filter(file -> file.toString().endsWith(".java") && !file.endsWith("TestTagsTest.java"))
                    .collect(Collectors.toMap(Path::toString, TestTagsTest::read));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
