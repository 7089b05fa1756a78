package dev.convexpipeline.app;

import org.apache.camel.CamelContext;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way settings are read: resolved values of config/application.properties (environment,
 * {@code NAME_FILE} secrets and overrides applied), typed. Every default lives in that file; a key
 * missing from it is an error naming the key and the file, never a value made up here.
 */
public final class SettingsSource {
    private static final Pattern DURATION_PART = Pattern.compile("(\\d+)\\s*(d|h|m|s|ms)");

    private final Function<String, String> lookup;
    private final String origin;

    private SettingsSource(Function<String, String> lookup, String origin) {
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.origin = Objects.requireNonNull(origin, "origin");
    }

    /** @param lookup resolved value of a key, null when the key is not set; {@code origin} names it in errors */
    public static SettingsSource of(Function<String, String> lookup, String origin) {
        return new SettingsSource(lookup, origin);
    }

    /** The running pipeline's settings, resolved by Camel's properties component. */
    public static SettingsSource of(CamelContext camelContext) {
        String locations = camelContext.getPropertiesComponent().getLocations().stream()
                .map(location -> location.startsWith("file:") ? location.substring("file:".length()) : location)
                .reduce((a, b) -> a + ", " + b).orElse("the pipeline's properties");
        return new SettingsSource(key -> camelContext.getPropertiesComponent().resolveProperty(key)
                .map(camelContext::resolvePropertyPlaceholders).orElse(null), locations);
    }

    /** Where the values come from, as errors name it. */
    public String origin() {
        return origin;
    }

    /** The value, trimmed; may be empty (an empty value has a meaning the setting's comment gives). */
    public String text(String key) {
        String value = lookup.apply(key);
        if (value == null) {
            throw new IllegalArgumentException("setting " + key + " is missing from " + origin
                    + ": add it (config/application.properties of this release lists every setting with its default)");
        }
        return value.trim();
    }

    public int integer(String key) {
        return parsed(key, Integer::parseInt, "a whole number");
    }

    public long number(String key) {
        return parsed(key, Long::parseLong, "a whole number");
    }

    public double decimal(String key) {
        return parsed(key, Double::parseDouble, "a number");
    }

    private <T> T parsed(String key, Function<String, T> parser, String expected) {
        String value = text(key);
        try {
            return parser.apply(value);
        } catch (NumberFormatException e) {
            throw invalid(key, value, expected);
        }
    }

    public boolean flag(String key) {
        String value = text(key).toLowerCase(Locale.ROOT);
        if (!value.equals("true") && !value.equals("false")) {
            throw invalid(key, value, "true or false");
        }
        return value.equals("true");
    }

    /** A {@code *-ms} setting. */
    public Duration millis(String key) {
        return Duration.ofMillis(number(key));
    }

    /** {@code 26h}, {@code 1d12h}, {@code 90m}, {@code 30s}, {@code 500ms} or ISO-8601 ({@code PT26H}). */
    public Duration duration(String key) {
        return duration(text(key), key);
    }

    /** Parses a duration setting's value; {@code key} names the setting in the error. */
    public static Duration duration(String text, String key) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.startsWith("p")) {
            try {
                return Duration.parse(value.toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw durationError(key, text);
            }
        }
        Matcher part = DURATION_PART.matcher(value);
        Duration total = Duration.ZERO;
        int end = 0;
        while (part.find()) {
            if (part.start() != end && !value.substring(end, part.start()).isBlank()) {
                break;
            }
            long amount = Long.parseLong(part.group(1));
            total = total.plus(switch (part.group(2)) {
                case "d" -> Duration.ofDays(amount);
                case "h" -> Duration.ofHours(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "s" -> Duration.ofSeconds(amount);
                default -> Duration.ofMillis(amount);
            });
            end = part.end();
        }
        if (end == 0 || end != value.length()) {
            throw durationError(key, text);
        }
        return total;
    }

    private static IllegalArgumentException durationError(String key, String text) {
        return new IllegalArgumentException(key + " must be a duration like 26h, 1d12h, 30m or PT26H, got '" + text + "'");
    }

    private IllegalArgumentException invalid(String key, String value, String expected) {
        return new IllegalArgumentException(key + " must be " + expected + ", got '" + value + "' (" + origin + ")");
    }

    @Override
    public String toString() {
        return "SettingsSource[" + origin + "]";
    }
}
