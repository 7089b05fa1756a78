package dev.convexpipeline.emulator;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The standalone command's options and defaults. */
class EmulatorCommandTest {
    @Test
    void defaultsMatchASelfHostedBackend() {
        EmulatorCommand command = new EmulatorCommand();
        new CommandLine(command).parseArgs();
        assertThat(command.port).isEqualTo(3210);
        assertThat(command.host).isEqualTo("127.0.0.1");
        assertThat(command.instanceName).isEqualTo("convex-self-hosted");
        assertThat(command.dataDirectory).isNull();
        assertThat(command.demoData).isFalse();
        assertThat(command.bare).isFalse();
        assertThat(command.adminKey).isEqualTo(System.getenv("CONVEX_ADMIN_KEY"));
    }

    @Test
    void optionsAreParsed() {
        EmulatorCommand command = new EmulatorCommand();
        new CommandLine(command).parseArgs("--port", "0", "--host", "0.0.0.0", "--admin-key", "x|01",
                "--instance-name", "local", "--data-dir", "/tmp/d", "--demo-data", "--bare");
        assertThat(command.port).isZero();
        assertThat(command.host).isEqualTo("0.0.0.0");
        assertThat(command.adminKey).isEqualTo("x|01");
        assertThat(command.instanceName).isEqualTo("local");
        assertThat(command.dataDirectory).isEqualTo(Path.of("/tmp/d"));
        assertThat(command.demoData).isTrue();
        assertThat(command.bare).isTrue();
    }

    @Test
    void givenKeysArePrintedMasked() {
        assertThat(EmulatorCommand.masked("convex-self-hosted|01abcdef")).isEqualTo("convex-self-hosted|01ab…");
        assertThat(EmulatorCommand.masked("secretkey")).isEqualTo("secr…");
    }

    @Test
    void demoDataSeedsTheApplicationTables() {
        try (ConvexEmulator emulator = new ConvexEmulator(new ConvexEmulator.Config("127.0.0.1", 0, null,
                java.util.List.of(), java.util.Optional.empty(), true)).start()) {
            assertThat(emulator.documents("users")).hasSize(2);
            assertThat(emulator.documents("entitlements")).hasSize(1);
        }
    }
}
