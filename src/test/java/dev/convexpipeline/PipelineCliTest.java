package dev.convexpipeline;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class PipelineCliTest {

    record Run(int exitCode, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cli = PipelineCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void unknownCommandPrintsUsageAndFails() {
        Run run = run("frobnicate");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("Unmatched argument").contains("Usage: convex-pipeline");
    }

    @Test
    void badFlagPrintsUsageAndFails() {
        Run run = run("serve", "--no-such-flag");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("Unknown option: '--no-such-flag'").contains("Usage: convex-pipeline serve");
    }

    @Test
    void missingConfigFileIsAOneLineReason() {
        Run run = run("serve", "--config", "does/not/exist.properties");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip()).startsWith("serve failed: Configuration file")
                .contains("not found").doesNotContain("\tat ");
    }

    @Test
    void helpListsTheSubcommands() {
        Run run = run("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("serve");
    }
}
