package dev.convexpipeline.pitr;

import dev.convexpipeline.app.SettingsSource;
import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.backup.BackupWiring;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesFunction;

import java.time.Clock;
import java.util.function.Supplier;

/** Creates the change-capture bean and hooks it into health and metrics once Camel runs. */
public final class PitrWiring {
    private PitrWiring() {
    }

    /** The capture bean over the process's Convex client; the settings are read on the first flush. */
    public static ChangeCaptureOperations operations(SettingsSource settings, Supplier<ConvexClient> convex) {
        return new ChangeCaptureOperations(() -> PitrSettings.load(settings), convex, Clock.systemUTC());
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
                return Long.toString(SettingsSource.of(camelContext).duration(key).toMillis());
            }
        });
    }

    public static void onStarted(CamelContext camelContext, ChangeCaptureOperations capture, SettingsSource settings) {
        BackupWiring.register(camelContext, new ChangeCaptureCheck(capture, settings.duration("changes.max-lag"), Clock.systemUTC()));
        capture.metrics().bindTo(BackupWiring.meterRegistry(camelContext));
    }
}
