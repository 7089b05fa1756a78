package dev.convexpipeline.stripe;

import dev.convexpipeline.app.PipelineRuntime;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.util.Map;

import static dev.convexpipeline.stripe.StripeFixture.event;
import static dev.convexpipeline.stripe.StripeFixture.now;
import static dev.convexpipeline.stripe.StripeFixture.post;
import static dev.convexpipeline.stripe.StripeFixture.send;
import static dev.convexpipeline.stripe.StripeFixture.subscription;
import static org.assertj.core.api.Assertions.assertThat;

/** Start-up, rejections, unmatched events and a Convex outage log nothing secret and no payload. */
class SecretsStayOutOfLogsTest {

    @Test
    void webhookSecretAdminKeyAndPayloadsNeverReachTheLog() throws Exception {
        StringWriter logs = new StringWriter();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        Appender capture = WriterAppender.newBuilder().setName("secrets-capture").setTarget(logs)
                .setLayout(PatternLayout.newBuilder().withPattern("%level %c{1} %msg%n").build()).build();
        capture.start();
        configuration.getRootLogger().addAppender(capture, Level.DEBUG, null);
        configuration.getRootLogger().setLevel(Level.DEBUG);
        context.updateLoggers();
        String adminKey;
        try (ConvexEmulator emulator = StripeFixture.emulator()) {
            adminKey = emulator.adminKey();
            try (PipelineRuntime pipeline = StripeFixture.pipeline(emulator, Map.of())) {
                long t = now();
                byte[] body = event("evt_logs_1", "customer.subscription.created", t,
                        subscription("sub_logs", "cus_nobody_knows", "active", "price_basic", t + 1000, false));
                post(pipeline, body, StripeTestSigner.header(body, "whsec_wrong"));
                send(pipeline, body);
                emulator.close();
                send(pipeline, event("evt_logs_2", "customer.subscription.updated", t, "{\"id\":\"sub_logs\"}"));
            }
        } finally {
            configuration.getRootLogger().removeAppender("secrets-capture");
            configuration.getRootLogger().setLevel(Level.INFO);
            context.updateLoggers();
        }
        String text = logs.toString();
        assertThat(text).contains("evt_logs_1").contains("unmatched").contains("evt_logs_2");
        assertThat(text).doesNotContain(StripeFixture.SECRET).doesNotContain(adminKey.substring(adminKey.indexOf('|') + 1))
                .doesNotContain("\"items\"");
    }
}
