package dev.convexpipeline.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The official {@code convex@1.48.0} CLI installed in src/test/convex-cli, run as a process. Tests
 * that use it are tagged {@code npm}; without node/npm they fail, never skip.
 */
final class ConvexCli {
    static final Path PROJECT = Path.of("src/test/convex-cli").toAbsolutePath();
    private static final long PROCESS_TIMEOUT_SECONDS = 120;

    record Result(int exitCode, String output) {
    }

    private ConvexCli() {
    }

    /** Installs the CLI from the lock file when node_modules is missing. */
    static void install() throws Exception {
        requireTool("node");
        requireTool("npm");
        if (!Files.isDirectory(PROJECT.resolve("node_modules/convex"))) {
            String install = Files.exists(PROJECT.resolve("package-lock.json")) ? "ci" : "install";
            Result result = run(PROJECT, Map.of(), "npm", install, "--no-audit", "--no-fund");
            assertThat(result.exitCode).as("npm %s in %s failed:\n%s", install, PROJECT, result.output).isZero();
        }
    }

    /**
     * {@code npx convex …} from the test's npm project (it has the package.json the CLI insists on);
     * {@code --no} stops npx from ever downloading a different version.
     */
    static Result convex(String url, String adminKey, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("npx", "--no", "convex"));
        command.addAll(List.of(args));
        command.addAll(List.of("--url", url, "--admin-key", adminKey));
        return run(PROJECT, Map.of("CI", "1"), command.toArray(String[]::new));
    }

    static Result run(Path workDir, Map<String, String> env, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        builder.environment().remove("CONVEX_DEPLOYMENT");
        builder.environment().remove("CONVEX_DEPLOY_KEY");
        Path log = Files.createTempFile("convex-cli", ".log");
        builder.redirectOutput(log.toFile());
        Process process = builder.start();
        if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + PROCESS_TIMEOUT_SECONDS
                    + "s; output so far:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        Files.deleteIfExists(log);
        return new Result(process.exitValue(), output);
    }

    private static void requireTool(String tool) {
        try {
            Process process = new ProcessBuilder(tool, "--version").redirectErrorStream(true).start();
            if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new AssertionError(tool + " --version failed; install Node.js 20 with npm to run this test");
            }
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(tool + " is not installed or not on PATH (" + e.getMessage()
                    + "); install Node.js 20 with npm to run the official CLI tests");
        }
    }
}
