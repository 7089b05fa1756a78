package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.emulator.ConvexEmulator;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What readiness learns from {@code pipeline:contract}: this release's functions, none, or another release's. */
class ConvexContractCheckTest {
    @Test
    void theEmulatorsFunctionsAreThisContract() {
        try (ConvexEmulator emulator = new ConvexEmulator(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = ConvexEmulatorExtension.quickClient(emulator.url(), emulator.adminKey())) {
            assertThatCode(() -> ConvexContractException.requireContract(client)).doesNotThrowAnyException();
        }
    }

    @Test
    void noFunctionsNamesTheDeployCommand() {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = ConvexEmulatorExtension.quickClient(bare.url(), bare.adminKey())) {
            assertThatThrownBy(() -> ConvexContractException.requireContract(client))
                    .isInstanceOf(ConvexContractException.class)
                    .hasMessageContaining("no pipeline:contract function")
                    .hasMessageContaining("npx convex deploy");
        }
    }

    @Test
    void anotherReleasesFunctionsNameBothVersions() {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = ConvexEmulatorExtension.quickClient(bare.url(), bare.adminKey())) {
            bare.functions().internalQuery(ConvexContract.CONTRACT_FUNCTION, (ctx, args) ->
                    JsonNodeFactory.instance.objectNode().put("version", (double) (ConvexContract.VERSION + 1)));
            assertThatThrownBy(() -> ConvexContractException.requireContract(client))
                    .isInstanceOf(ConvexContractException.class)
                    .hasMessageContaining("contract version " + (ConvexContract.VERSION + 1))
                    .hasMessageContaining("needs version " + ConvexContract.VERSION)
                    .hasMessageContaining("npx convex deploy");
        }
    }
}
