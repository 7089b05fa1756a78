package dev.convexpipeline;

import dev.convexpipeline.app.ServeCommand;
import dev.convexpipeline.backup.BackupCommand;
import dev.convexpipeline.migration.MigrateCommand;
import dev.convexpipeline.pitr.RestoreCommand;
import dev.convexpipeline.reconcile.ReconcileCommand;
import dev.convexpipeline.stripe.StripeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.Optional;

/** Entry point of the runnable jar: one subcommand per operator verb; no subcommand means {@code serve}. */
@Command(name = "convex-pipeline",
        mixinStandardHelpOptions = true,
        versionProvider = PipelineVersion.Provider.class,
        description = "Camel pipeline between Stripe, a Convex deployment and S3.",
        subcommands = {ServeCommand.class, StripeCommand.class, ReconcileCommand.class, BackupCommand.class,
                MigrateCommand.class, RestoreCommand.class})
public final class PipelineCli implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args.length == 0 ? new String[] {"serve"} : args));
    }

    /**
     * Commands only the full jar has (the emulator, the sandbox, the benchmarks): the server jar
     * (-Dserver build, the Docker image) is compiled without them, so they are added by name when present.
     */
    /** Commands that act on the deployment or its backups: each run is audited. */
    private static final List<String> AUDITED = List.of("backup", "stripe events", "stripe reapply", "reconcile",
            "migrate", "restore");

    private static final List<List<String>> SANDBOX_COMMANDS = List.of(
            List.of("dev.convexpipeline.emulator.EmulatorCommand"),
            List.of("dev.convexpipeline.sandbox.SandboxCommand"),
            List.of("stripe", "dev.convexpipeline.stripe.StripeBenchmark"));

    /** The configured command tree, also used by tests to run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PipelineCli());
        for (List<String> path : SANDBOX_COMMANDS) {
            CommandLine parent = path.size() == 1 ? cli : cli.getSubcommands().get(path.get(0));
            optionalCommand(path.get(path.size() - 1)).ifPresent(parent::addSubcommand);
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        // Every operator action leaves one audit line (what, target, outcome, who), success or not.
        cli.setExecutionStrategy(parseResult -> {
            CommandLine.ParseResult last = parseResult;
            while (last.hasSubcommand()) {
                last = last.subcommand();
            }
            String command = commandName(last.commandSpec().commandLine());
            boolean audited = AUDITED.stream().anyMatch(prefix -> command.equals(prefix) || command.startsWith(prefix + " "))
                    && !last.isUsageHelpRequested() && !last.isVersionHelpRequested();
            String target = last.matchedPositionals().stream().map(p -> String.valueOf((Object) p.getValue()))
                    .reduce((a, b) -> a + " " + b).orElse("");
            String actor = "cli user " + System.getProperty("user.name", "unknown");
            try {
                int exit = new CommandLine.RunLast().execute(parseResult);
                if (audited) {
                    Audit.record(command, target, exit == 0 ? "ok" : "exit " + exit, actor);
                }
                return exit;
            } catch (CommandLine.ExecutionException e) {
                if (audited) {
                    Audit.record(command, target, "failed: " + OperatorMessages.describe(e.getCause() == null ? e : e.getCause()),
                            actor);
                }
                throw e;
            }
        });
        // Picocli omits the usage when it has a suggestion; operators get both.
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine command = ex.getCommandLine();
            command.getErr().println(ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, command.getErr());
            if (!hasSandboxCommands() && ex instanceof CommandLine.UnmatchedArgumentException unmatched
                    && unmatched.getUnmatched().stream().anyMatch(List.of("sandbox", "emulator", "bench")::contains)) {
                command.getErr().println("This is the server jar: sandbox, emulator and stripe bench are in the full jar"
                        + " (mvn package, target/convex-pipeline.jar).");
            }
            command.usage(command.getErr());
            return command.getCommandSpec().exitCodeOnInvalidInput();
        });
        // One short reason line for a failed command, not a stack trace; details go to the log.
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String command = commandName(commandLine);
            String reason = OperatorMessages.describe(ex);
            JsonOutput.of(commandLine).ifPresent(json -> JsonOutput.print(commandLine.getOut(), JsonOutput.failure(command, reason)));
            commandLine.getErr().println(command + " failed: " + reason);
            commandLine.getErr().flush();
            return 1;
        });
        return cli;
    }

    /** The command's full name as typed after the jar: {@code backup run}, {@code reconcile}. */
    public static String commandName(CommandLine commandLine) {
        String qualified = commandLine.getCommandSpec().qualifiedName(" ");
        String root = commandLine.getCommandSpec().root().name();
        return qualified.startsWith(root + " ") ? qualified.substring(root.length() + 1) : qualified;
    }

    /** Whether this jar has the sandbox, emulator and benchmark commands (the full jar) or not (the server jar). */
    public static boolean hasSandboxCommands() {
        return optionalCommand(SANDBOX_COMMANDS.get(0).get(0)).isPresent();
    }

    private static Optional<Object> optionalCommand(String className) {
        try {
            return Optional.of(Class.forName(className).getDeclaredConstructor().newInstance());
        } catch (ClassNotFoundException e) {
            return Optional.empty();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Cannot create command " + className, e);
        }
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
