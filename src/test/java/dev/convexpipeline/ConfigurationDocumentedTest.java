package dev.convexpipeline;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every operator setting has an environment override and one row in the README's configuration table. */
class ConfigurationDocumentedTest {
    private static final Pattern SETTING = Pattern.compile("^([a-z0-9.-]+)\\s*=\\s*(.*)$");
    private static final Pattern ENV = Pattern.compile("\\{\\{env:([A-Z0-9_]+):([^}]*)}}");

    @Test
    void everyEnvironmentOverrideIsInTheReadmeTable() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> missing = new ArrayList<>();
        int settings = 0;
        for (String line : Files.readAllLines(Path.of("config/application.properties"))) {
            Matcher setting = SETTING.matcher(line.strip());
            if (!setting.matches()) {
                continue;
            }
            Matcher env = ENV.matcher(setting.group(2));
            if (!env.find()) {
                continue;
            }
            settings++;
            String row = "| `" + setting.group(1) + "` | `" + env.group(1) + "` |";
            if (!readme.contains(row)) {
                missing.add(row);
            }
        }
        assertThat(settings).isGreaterThan(10);
        assertThat(missing).as("README configuration rows missing").isEmpty();
    }

    @Test
    void applicationSettingsAllHaveEnvironmentOverrides() throws Exception {
        List<String> withoutEnv = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("config/application.properties"))) {
            Matcher setting = SETTING.matcher(line.strip());
            if (setting.matches() && !setting.group(1).startsWith("camel.") && !setting.group(2).contains("{{env:")) {
                withoutEnv.add(setting.group(1));
            }
        }
        assertThat(withoutEnv).isEmpty();
    }
}
