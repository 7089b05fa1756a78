package dev.convexpipeline;

import dev.convexpipeline.testing.CliRun;
import org.junit.jupiter.api.Test;


import static org.assertj.core.api.Assertions.assertThat;

class PipelineCliTest {

    @Test
    void unknownCommandPrintsUsageAndFails() {
        CliRun run = CliRun.of("frobnicate");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Unmatched argument").contains("Usage: convex-pipeline");
    }

    @Test
    void badFlagPrintsUsageAndFails() {
        CliRun run = CliRun.of("serve", "--no-such-flag");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Unknown option: '--no-such-flag'").contains("Usage: convex-pipeline serve");
    }

    @Test
    void missingConfigFileIsAOneLineReason() {
        CliRun run = CliRun.of("serve", "--config", "does/not/exist.properties");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("serve failed: Configuration file")
                .contains("not found").doesNotContain("\tat ");
    }

    @Test
    void helpListsTheSubcommands() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("serve");
    }
}
