package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupSettings;
import dev.convexpipeline.backup.BackupWiring;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.PropertiesFunction;

import java.time.Clock;
import java.util.function.Function;

/** Creates the change-capture bean and hooks it into health and metrics once Camel runs. */
public final class PitrWiring {
    private PitrWiring() {
    }

    public static ChangeCaptureOperations operations(CamelContext camelContext) {
        Function<String, String> properties = BackupWiring.properties(camelContext);
        return new ChangeCaptureOperations(() -> PitrSettings.load(properties), Clock.systemUTC());
    }

    /**
     * {@code {{millis:<property>}}}: a duration property ({@code 10s}, {@code PT1M}) as milliseconds, for
     * endpoint options that take a number (Quartz's {@code trigger.repeatInterval}).
     */
    public static void registerMillisFunction(CamelContext camelContext) {
        camelContext.getPropertiesComponent().addPropertiesFunction(new PropertiesFunction() {
            @Override
            public String getName() {
                return "millis";
            }

            @Override
            public String apply(String remainder) {
                String key = remainder.trim();
                String value = camelContext.getPropertiesComponent().resolveProperty(key)
                        .map(camelContext::resolvePropertyPlaceholders).orElseThrow(() ->
                                new IllegalArgumentException("Property " + key + " is not set"));
                return Long.toString(BackupSettings.duration(value, key).toMillis());
            }
        });
    }

    public static void onStarted(CamelContext camelContext, ChangeCaptureOperations capture) {
        String maxLag = BackupWiring.properties(camelContext).apply("changes.max-lag");
        HealthCheckRegistry health = HealthCheckRegistry.get(camelContext);
        if (health != null) {
            ChangeCaptureCheck check = new ChangeCaptureCheck(capture,
                    BackupSettings.duration(maxLag == null || maxLag.isBlank() ? "5m" : maxLag, "changes.max-lag"),
                    Clock.systemUTC());
            check.setCamelContext(camelContext);
            health.register(check);
        }
        capture.metrics().bindTo(BackupWiring.meterRegistry(camelContext));
    }
}
