package dev.convexpipeline.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SandboxSettingsTest {
    private static final Path CONFIG = Path.of("config/application.properties");

    @TempDir
    Path dataDir;

    @Test
    void theCommandsUseARunningSandboxsSettingsButTheEnvironmentWins() throws Exception {
        SandboxSettings.write(dataDir, Map.of("convex.url", "http://127.0.0.1:40001", "backup.target", "s3",
                "s3.endpoint", "http://127.0.0.1:40002"));
        ByteArrayOutputStream notes = new ByteArrayOutputStream();

        Map<String, String> used = ConfigFile.sandboxSettings(CONFIG, Map.of("CONVEX_URL", "http://elsewhere:3210"),
                dataDir, new PrintStream(notes, true));

        assertThat(used).containsOnly(Map.entry("backup.target", "s3"), Map.entry("s3.endpoint", "http://127.0.0.1:40002"));
        assertThat(notes.toString()).contains("Using the running sandbox's settings from " + SandboxSettings.file(dataDir))
                .contains("backup.target, s3.endpoint").contains("environment variables still win");
        assertThat(ConfigFile.properties(CONFIG, dataDir).apply("backup.target")).isEqualTo("s3");
    }

    @Test
    void aFileLeftByASandboxThatNoLongerRunsIsIgnored() throws Exception {
        Process gone = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
                .redirectErrorStream(true).start();
        gone.getInputStream().readAllBytes();
        gone.waitFor();
        SandboxSettings.write(dataDir, Map.of("backup.target", "s3"));
        String text = Files.readString(SandboxSettings.file(dataDir))
                .replaceAll("sandbox\\.pid=\\d+", "sandbox.pid=" + gone.pid());
        Files.writeString(SandboxSettings.file(dataDir), text);

        assertThat(SandboxSettings.ofRunningSandbox(dataDir)).isEmpty();
        assertThat(ConfigFile.sandboxSettings(CONFIG, Map.of(), dataDir, new PrintStream(new ByteArrayOutputStream())))
                .isEmpty();
    }

    @Test
    void theSandboxDataAndLocalBackupsAreNotCommitted() throws Exception {
        // data/ holds the sandbox's settings file (keys) and stores; backups/ the default file target.
        assertThat(Files.readAllLines(Path.of(".gitignore"))).contains("/data/", "/backups/");
    }

    @Test
    void noSandboxNoNote() {
        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        assertThat(ConfigFile.sandboxSettings(CONFIG, Map.of(), dataDir, new PrintStream(notes, true))).isEmpty();
        assertThat(notes.toString()).isEmpty();
    }
}
