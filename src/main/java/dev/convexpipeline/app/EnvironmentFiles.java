package dev.convexpipeline.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code NAME_FILE} variants of the settings' environment variables, as Docker and Kubernetes
 * secrets are mounted: {@code STRIPE_SECRET_KEY_FILE=/run/secrets/stripe} sets
 * {@code stripe.secret-key} from that file, so a secret need not sit in the environment. Every
 * variable of config/application.properties has one; setting both NAME and NAME_FILE is refused.
 */
public final class EnvironmentFiles {
    private static final Pattern SETTING = Pattern.compile("^([a-z0-9.-]+)\\s*=\\s*(.*)$");
    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Z0-9_]+):([^}]*)}}");

    private EnvironmentFiles() {
    }

    /** Setting key → value for each setting whose variable is given as NAME_FILE in {@code environment}. */
    public static Map<String, String> overrides(Path config, Map<String, String> environment) {
        Map<String, String> overrides = new LinkedHashMap<>();
        if (environment.keySet().stream().noneMatch(name -> name.endsWith("_FILE"))) {
            return overrides;
        }
        templates(config).forEach((key, template) -> {
            String name = template.variable();
            String file = environment.get(name + "_FILE");
            if (file == null) {
                return;
            }
            if (environment.containsKey(name)) {
                throw new IllegalArgumentException("both " + name + " and " + name
                        + "_FILE are set: set only one of them");
            }
            String value = read(name + "_FILE", Path.of(file));
            overrides.put(key, template.value().replace(template.placeholder(), value));
        });
        return overrides;
    }

    /** Whether {@code environment} sets the setting {@code key} (as NAME or NAME_FILE). */
    public static boolean setInEnvironment(Path config, String key, Map<String, String> environment) {
        Template template = templates(config).get(key);
        return template != null && (environment.containsKey(template.variable())
                || environment.containsKey(template.variable() + "_FILE"));
    }

    /** A setting's value in config/application.properties and its {{env:NAME:default}} placeholder. */
    private record Template(String value, String placeholder, String variable) {
    }

    private static Map<String, Template> templates(Path config) {
        Map<String, Template> templates = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(config, StandardCharsets.UTF_8)) {
                Matcher setting = SETTING.matcher(line.strip());
                if (!setting.matches()) {
                    continue;
                }
                Matcher env = ENV.matcher(setting.group(2));
                if (env.find()) {
                    templates.put(setting.group(1), new Template(setting.group(2), env.group(), env.group(1)));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + config + ": " + e.getMessage(), e);
        }
        return templates;
    }

    private static String read(String variable, Path file) {
        return readSecret(variable, file);
    }

    /**
     * A secret from a mounted file ({@code NAME_FILE}, {@code --target-key-file}, ...), without the
     * line end the file usually has; {@code what} (the variable or option) names it when it cannot be read.
     */
    public static String readSecret(String what, Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " names " + file + ", which cannot be read ("
                    + e.getClass().getSimpleName() + "): check the path and that this user may read it");
        }
    }
}
