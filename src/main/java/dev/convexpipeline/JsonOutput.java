package dev.convexpipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code --json} flag every operator command shares, as a picocli mixin
 * ({@code @Mixin JsonOutput json;}). With it a command prints exactly one JSON document on standard
 * output, on success ({@link #print}) and on failure (PipelineCli prints
 * {@code {"command":…,"ok":false,"error":…}} for a command whose {@code --json} is on), while every
 * log line goes to standard error (log4j2.properties). Numbers that are whole are printed as
 * integers ({@code 7}, not {@code 7.0}: Convex stores every number as a float64, and counts and
 * epoch milliseconds read back from it would otherwise come out as doubles); times are ISO-8601
 * strings or integer milliseconds. The admin API answers through {@link #normalize} too.
 */
public final class JsonOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper COMPACT = new ObjectMapper();

    @Option(names = "--json", description = "Print one JSON document on standard output (logs go to standard error).")
    boolean enabled;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    public boolean enabled() {
        return enabled;
    }

    /** Prints {@code value} (a Jackson tree or any serializable object) as the command's one JSON document. */
    public void print(Object value) {
        print(command.commandLine().getOut(), value);
    }

    public static void print(PrintWriter out, Object value) {
        try {
            out.println(JSON.writeValueAsString(normalize(JSON.valueToTree(value))));
        } catch (Exception e) {
            throw new IllegalStateException("output could not be written as JSON: " + e.getMessage(), e);
        }
        out.flush();
    }

    /** {@code value} as a JSON tree whose whole-number doubles are integers (in place for trees). */
    public static JsonNode normalize(JsonNode value) {
        if (value instanceof ObjectNode object) {
            Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                field.setValue(normalize(field.getValue()));
            }
        } else if (value instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, normalize(array.get(i)));
            }
        } else if (value != null && value.isFloatingPointNumber() && isWhole(value.doubleValue())) {
            return JsonNodeFactory.instance.numberNode(value.longValue());
        }
        return value;
    }

    /** An admin API body as text: objects serialized, JSON text normalized, other text unchanged. */
    public static String normalizeBody(Object body) throws Exception {
        if (body instanceof String text) {
            String trimmed = text.stripLeading();
            if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) {
                return text;
            }
            return COMPACT.writeValueAsString(normalize(COMPACT.readTree(text)));
        }
        return COMPACT.writeValueAsString(normalize(COMPACT.valueToTree(body)));
    }

    /** The enabled {@code --json} of the command {@code commandLine} ran, if it has one. */
    static Optional<JsonOutput> of(CommandLine commandLine) {
        return commandLine.getCommandSpec().mixins().values().stream()
                .map(CommandSpec::userObject)
                .filter(JsonOutput.class::isInstance).map(JsonOutput.class::cast)
                .filter(JsonOutput::enabled).findFirst();
    }

    /** The one document of a failed command. */
    static ObjectNode failure(String command, String error) {
        return JsonNodeFactory.instance.objectNode().put("command", command).put("ok", false).put("error", error);
    }

    private static boolean isWhole(double value) {
        return !Double.isInfinite(value) && value == Math.rint(value) && Math.abs(value) < 9.007199254740992E15;
    }
}
