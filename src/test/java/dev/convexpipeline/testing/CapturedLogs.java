package dev.convexpipeline.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.WriterAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.layout.PatternLayout;

import java.io.StringWriter;
import java.util.UUID;

/**
 * Everything every logger writes, at DEBUG, from creation until {@link #close()}, which puts the
 * root logger back at INFO: secrets must stay out of the log even at the most verbose level.
 */
public final class CapturedLogs implements AutoCloseable {
    private final StringWriter logs = new StringWriter();
    private final String name = "capture-" + UUID.randomUUID();
    private final LoggerContext context = (LoggerContext) LogManager.getContext(false);
    private final Configuration configuration = context.getConfiguration();

    public CapturedLogs() {
        this("%level %c{1} %msg%n");
    }

    /** With a log4j pattern of the test's choosing, e.g. one that shows a context field ({@code %X{runId}}). */
    public CapturedLogs(String pattern) {
        Appender capture = WriterAppender.newBuilder().setName(name).setTarget(logs)
                .setLayout(PatternLayout.newBuilder().withPattern(pattern).build()).build();
        capture.start();
        configuration.getRootLogger().addAppender(capture, Level.DEBUG, null);
        configuration.getRootLogger().setLevel(Level.DEBUG);
        context.updateLoggers();
    }

    /** What was logged so far. */
    public String text() {
        return logs.toString();
    }

    @Override
    public void close() {
        configuration.getRootLogger().removeAppender(name);
        configuration.getRootLogger().setLevel(Level.INFO);
        context.updateLoggers();
    }
}
