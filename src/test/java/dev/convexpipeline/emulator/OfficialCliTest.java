package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * Base of the tests that run the official {@code convex@1.48.0} CLI (src/test/convex-cli) against a
 * fresh in-memory emulator per test. Tagged {@code npm} so a build without Node can exclude them
 * explicitly ({@code -Dsurefire.excludedGroups=npm}); without node/npm they fail, never skip.
 */
@Tag("npm")
abstract class OfficialCliTest {
    protected static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    protected ConvexEmulator emulator;

    @BeforeAll
    static void installCli() throws Exception {
        ConvexCli.install();
    }

    @BeforeEach
    void startEmulator() {
        emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
    }

    @AfterEach
    void stopEmulator() {
        emulator.stop();
    }

    /** {@code npx convex <args> --url … --admin-key …} against this test's emulator. */
    protected ConvexCli.Result cli(String... args) throws Exception {
        return ConvexCli.convex(emulator.url(), emulator.adminKey(), args);
    }
}
