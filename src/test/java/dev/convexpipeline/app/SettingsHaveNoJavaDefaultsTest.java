package dev.convexpipeline.app;

import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.convex.ConvexSettings;
import dev.convexpipeline.migration.MigrationSettings;
import dev.convexpipeline.pitr.PitrSettings;
import dev.convexpipeline.reconcile.ReconcileSettings;
import dev.convexpipeline.schedule.ScheduleSettings;
import dev.convexpipeline.stripe.StripeSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every default lives in config/application.properties: each typed settings record loads from a
 * source holding only that file's keys, and loses every key it reads when the key is taken away (a
 * Java fallback would let it load anyway). No bean reads properties around {@link SettingsSource}.
 */
class SettingsHaveNoJavaDefaultsTest {
    private static final Path CONFIG = Path.of("config/application.properties");

    static Stream<Arguments> settingsClasses() {
        return Stream.of(
                Arguments.of("ConvexSettings", Map.of(), (Function<SettingsSource, Object>) ConvexSettings::from),
                Arguments.of("ScheduleSettings", Map.of(), (Function<SettingsSource, Object>) ScheduleSettings::from),
                Arguments.of("StripeSettings", Map.of(), (Function<SettingsSource, Object>) StripeSettings::from),
                Arguments.of("ReconcileSettings", Map.of(), (Function<SettingsSource, Object>) ReconcileSettings::from),
                Arguments.of("BackupSettings (file)", Map.of(), (Function<SettingsSource, Object>) BackupSettings::load),
                Arguments.of("BackupSettings (s3)", Map.of("backup.target", "s3"),
                        (Function<SettingsSource, Object>) BackupSettings::load),
                Arguments.of("PitrSettings", Map.of(), (Function<SettingsSource, Object>) PitrSettings::load),
                Arguments.of("MigrationSettings", Map.of(), (Function<SettingsSource, Object>) MigrationSettings::load));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settingsClasses")
    void loadsFromTheFileAloneAndNamesEveryKeyItMisses(String name, Map<String, String> overrides,
                                                       Function<SettingsSource, Object> load) {
        Map<String, String> file = new LinkedHashMap<>(ConfigFile.defaults(CONFIG));
        file.putAll(overrides);
        Set<String> read = new LinkedHashSet<>();
        Object loaded = load.apply(SettingsSource.of(key -> {
            read.add(key);
            return file.get(key);
        }, CONFIG.toString()));
        assertThat(loaded).isNotNull();
        assertThat(read).as(name + " reads its settings").isNotEmpty();
        assertThat(file.keySet()).as("every key " + name + " reads is in " + CONFIG).containsAll(read);

        for (String key : read) {
            Map<String, String> without = new LinkedHashMap<>(file);
            without.remove(key);
            assertThatThrownBy(() -> load.apply(SettingsSource.of(without::get, CONFIG.toString())))
                    .as(name + " without " + key)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("setting " + key + " is missing from " + CONFIG);
        }
    }

    @Test
    void theFileDefaultsResolveEnvironmentPlaceholdersAndReferences() {
        Map<String, String> defaults = ConfigFile.defaults(CONFIG);
        assertThat(defaults).containsEntry("backup.max-age", "26h").containsEntry("convex.admin-key", "");
        // camel.server.max-body-size = {{stripe.webhook-max-body-bytes}}
        assertThat(defaults.get("camel.server.max-body-size")).isEqualTo(defaults.get("stripe.webhook-max-body-bytes"));
        assertThat(defaults.values()).noneMatch(value -> value.contains("{{env:"));
    }

    /** Property reads outside SettingsSource (and the CLI's ConfigFile) are where Java defaults used to hide. */
    @Test
    void noBeanReadsPropertiesAroundTheSettingsSource() throws IOException {
        List<String> allowed = List.of("app/SettingsSource.java", "app/ConfigFile.java");
        Path main = Path.of("src/main/java/dev/convexpipeline");
        try (Stream<Path> files = Files.walk(main)) {
            List<String> offenders = files.filter(file -> file.toString().endsWith(".java"))
                    .filter(file -> allowed.stream().noneMatch(file::endsWith))
                    .filter(file -> {
                        try {
                            String text = Files.readString(file);
                            return text.contains("@PropertyInject") || text.contains(".resolveProperty(");
                        } catch (IOException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .map(main::relativize).map(Path::toString).toList();
            assertThat(offenders).isEmpty();
        }
    }
}
