package dev.convexpipeline;

import dev.convexpipeline.app.ServeCommand;
import dev.convexpipeline.backup.BackupCommand;
import dev.convexpipeline.emulator.EmulatorCommand;
import dev.convexpipeline.pitr.RestoreCommand;
import dev.convexpipeline.reconcile.ReconcileCommand;
import dev.convexpipeline.sandbox.SandboxCommand;
import dev.convexpipeline.stripe.StripeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the runnable jar: one subcommand per operator verb; no subcommand means {@code serve}. */
@Command(name = "convex-pipeline",
        mixinStandardHelpOptions = true,
        versionProvider = PipelineVersion.Provider.class,
        description = "Camel pipeline between Stripe, a Convex deployment and S3.",
        subcommands = {ServeCommand.class, EmulatorCommand.class, SandboxCommand.class, StripeCommand.class,
                ReconcileCommand.class, BackupCommand.class, RestoreCommand.class,
                dev.convexpipeline.migration.MigrateCommand.class, CommandLine.HelpCommand.class})
public final class PipelineCli implements Runnable {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args.length == 0 ? new String[] {"serve"} : args));
    }

    /** The configured command tree, also used by tests to run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new PipelineCli());
        // Picocli omits the usage when it has a suggestion; operators get both.
        cli.setParameterExceptionHandler((ex, args) -> {
            CommandLine command = ex.getCommandLine();
            command.getErr().println(ex.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(ex, command.getErr());
            command.usage(command.getErr());
            return command.getCommandSpec().exitCodeOnInvalidInput();
        });
        // One short reason line for a failed command, not a stack trace; details go to the log.
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandName() + " failed: " + OperatorMessages.describe(ex));
            return 1;
        });
        return cli;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
