package dev.convexpipeline;

import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command takes its settings from the one {@code --config} option (before or after a verb),
 * and a setting missing from that file fails the command in one line starting with its own name.
 */
class ConfigOptionTest {

    /** The release's file without {@code key}. */
    private static Path without(Path dir, String key) throws Exception {
        Path config = dir.resolve("application.properties");
        String text = Files.readAllLines(Path.of("config/application.properties")).stream()
                .filter(line -> !line.strip().startsWith(key + " "))
                .collect(Collectors.joining("\n"));
        Files.writeString(config, text + "\n");
        return config;
    }

    @Test
    void aMissingSettingFailsEachCommandNamingTheKeyAndTheFile(@TempDir Path dir) throws Exception {
        Path config = without(dir, "backup.max-age");
        CliRun backup = CliRun.of("backup", "list", "--config", config.toString());
        assertThat(backup.exit()).isEqualTo(1);
        assertThat(backup.err().strip()).startsWith("backup list failed: setting backup.max-age is missing from " + config)
                .doesNotContain("\tat ");
        // The option before the verb reaches the verb too.
        CliRun before = CliRun.of("backup", "--config", config.toString(), "list");
        assertThat(before.err().strip()).startsWith("backup list failed: setting backup.max-age is missing from " + config);

        Path noTolerance = without(dir, "stripe.signature-tolerance-seconds");
        CliRun stripe = CliRun.of("stripe", "--config", noTolerance.toString(), "events");
        assertThat(stripe.exit()).isEqualTo(1);
        assertThat(stripe.err().strip())
                .startsWith("stripe events failed: setting stripe.signature-tolerance-seconds is missing from " + noTolerance);

        Path noLease = without(dir, "reconcile.lease-ms");
        CliRun reconcile = CliRun.of("reconcile", "--config", noLease.toString());
        assertThat(reconcile.exit()).isEqualTo(1);
        assertThat(reconcile.err().strip()).startsWith("reconcile failed: setting reconcile.lease-ms is missing from " + noLease);
    }
}
