package dev.convexpipeline.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.PipelineCli;
import dev.convexpipeline.convex.ConvexValues;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** One in-process run of the pipeline's command line: its exit code and what it printed on stdout and stderr. */
public record CliRun(int exit, String out, String err) {

    public static CliRun of(String... args) {
        CommandLine cli = PipelineCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    public static CliRun of(List<String> args) {
        return of(args.toArray(String[]::new));
    }

    /** Standard output as the one JSON document {@code --json} prints. */
    public JsonNode json() throws IOException {
        return ConvexValues.MAPPER.readTree(out);
    }
}
