package dev.convexpipeline.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EnvironmentFilesTest {
    private static final Path CONFIG = Path.of("config/application.properties");

    @TempDir
    Path dir;

    @Test
    void aSecretIsReadFromTheFileItsFileVariableNames() throws Exception {
        Path key = Files.writeString(dir.resolve("stripe"), "sk_test_from_file\n");
        Path token = Files.writeString(dir.resolve("token"), "convex-self-hosted|0123abcd");

        Map<String, String> overrides = EnvironmentFiles.overrides(CONFIG, Map.of(
                "STRIPE_SECRET_KEY_FILE", key.toString(), "CONVEX_SERVICE_TOKEN_FILE", token.toString(),
                "PATH", "/usr/bin"));

        assertThat(overrides).containsOnly(Map.entry("stripe.secret-key", "sk_test_from_file"),
                Map.entry("convex.admin-key", "convex-self-hosted|0123abcd"));
    }

    @Test
    void aSettingWithMoreAroundThePlaceholderKeepsIt() throws Exception {
        Path dirName = Files.writeString(dir.resolve("routes-dir"), "/opt/routes");
        assertThat(EnvironmentFiles.overrides(CONFIG, Map.of("PIPELINE_ROUTES_DIR_FILE", dirName.toString())))
                .containsEntry("camel.main.routes-include-pattern", "file:/opt/routes/*.camel.yaml");
    }

    @Test
    void bothTheVariableAndItsFileIsRefused() throws Exception {
        Path key = Files.writeString(dir.resolve("stripe"), "sk_test_from_file");
        assertThatThrownBy(() -> EnvironmentFiles.overrides(CONFIG,
                Map.of("STRIPE_SECRET_KEY", "sk_env", "STRIPE_SECRET_KEY_FILE", key.toString())))
                .hasMessage("both STRIPE_SECRET_KEY and STRIPE_SECRET_KEY_FILE are set: set only one of them");
    }

    @Test
    void anUnreadableFileIsNamedWithoutItsContent() {
        Path missing = dir.resolve("nope");
        assertThatThrownBy(() -> EnvironmentFiles.overrides(CONFIG, Map.of("S3_SECRET_KEY_FILE", missing.toString())))
                .hasMessageStartingWith("S3_SECRET_KEY_FILE names " + missing + ", which cannot be read");
    }
}
