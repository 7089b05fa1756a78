package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What readiness learns from {@code pipeline:contract}: this release's functions, none, or another release's. */
class ConvexContractCheckTest {
    @Test
    void theEmulatorsFunctionsAreThisContract() {
        try (ConvexEmulator emulator = TestDeployments.startEmulator();
             ConvexClient client = TestDeployments.client(emulator)) {
            assertThatCode(() -> ConvexContractException.requireContract(client)).doesNotThrowAnyException();
        }
    }

    @Test
    void noFunctionsNamesTheDeployCommand() {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = TestDeployments.client(bare)) {
            assertThatThrownBy(() -> ConvexContractException.requireContract(client))
                    .isInstanceOf(ConvexContractException.class)
                    .hasMessageContaining("no pipeline:contract function")
                    .hasMessageContaining("npx convex deploy");
        }
    }

    @Test
    void anotherReleasesFunctionsNameBothVersions() {
        try (ConvexEmulator bare = ConvexEmulator.bare(ConvexEmulator.Config.ephemeral()).start();
             ConvexClient client = TestDeployments.client(bare)) {
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
