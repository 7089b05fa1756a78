package dev.convexpipeline.emulator;

import dev.convexpipeline.emulator.functions.FunctionPath;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Function paths are canonicalized and rejected the way Convex's UdfPath parsing does. */
class EmulatorFunctionPathTest {
    @Test
    void jsSuffixAndMissingExportAreCanonicalized() {
        assertThat(FunctionPath.parse("users.js:list")).isEqualTo(FunctionPath.parse("users:list"));
        assertThat(FunctionPath.parse("dir/mod")).isEqualTo(new FunctionPath("dir/mod", "default"));
        assertThat(FunctionPath.parse("_system/cli/queryImport").isSystem()).isTrue();
        assertThat(FunctionPath.parse("dir/mod.js:run")).hasToString("dir/mod:run");
        assertThat(FunctionPath.parse("dir/mod").toString()).isEqualTo("dir/mod");
        assertThat(FunctionPath.parse("dir/mod:run").canonical()).isEqualTo("dir/mod.js:run");
    }

    @Test
    void invalidPathsExplainWhy() {
        assertThatThrownBy(() -> FunctionPath.parse("users.ts:list"))
                .hasMessage("Module path (users.ts) has an extension that isn't 'js'.");
        assertThatThrownBy(() -> FunctionPath.parse("/abs:list"))
                .hasMessage("Module paths must be relative (/abs is absolute).");
        assertThatThrownBy(() -> FunctionPath.parse(":list")).hasMessage("Module path  doesn't have a filename.");
        assertThatThrownBy(() -> FunctionPath.parse("users:1st")).hasMessageStartingWith("Invalid first character '1' in 1st");
        assertThatThrownBy(() -> FunctionPath.parse("we-ird:list"))
                .hasMessage("Path component we-ird can only contain alphanumeric characters, underscores, or periods.");
    }
}
