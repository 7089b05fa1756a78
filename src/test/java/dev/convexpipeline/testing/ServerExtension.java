package dev.convexpipeline.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A server for tests: started once for the class when the extension is registered on a static field, once per test
 * on an instance field (JUnit then calls only the per-test callbacks). What a test opens is closed after it, what the
 * server opened when the server stops, last opened first.
 */
public abstract class ServerExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private final Deque<AutoCloseable> perTest = new ArrayDeque<>();
    private final Deque<AutoCloseable> perServer = new ArrayDeque<>();
    private boolean perClass;
    private boolean running;

    /** Starts the server; everything it opens goes through {@link #closeWithServer}. */
    protected abstract void startServer() throws Exception;

    /** Prepares one test (a fresh bucket, a fresh proxy); what it opens goes through {@link #closeAfterTest}. */
    protected void beforeTest() throws Exception {
    }

    protected final <T extends AutoCloseable> T closeAfterTest(T resource) {
        perTest.push(resource);
        return resource;
    }

    protected final <T extends AutoCloseable> T closeWithServer(T resource) {
        perServer.push(resource);
        return resource;
    }

    /** {@code value}, or a failure saying {@code problem} when the server or the test has not set it up. */
    protected static <T> T required(T value, String problem) {
        if (value == null) {
            throw new IllegalStateException(problem);
        }
        return value;
    }

    @Override
    public final void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start();
    }

    @Override
    public final void beforeEach(ExtensionContext context) throws Exception {
        if (!running) {
            start();
        }
        beforeTest();
    }

    @Override
    public final void afterEach(ExtensionContext context) throws Exception {
        try {
            closeAll(perTest);
        } finally {
            if (!perClass) {
                stop();
            }
        }
    }

    @Override
    public final void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    private void start() throws Exception {
        running = true;
        try {
            startServer();
        } catch (Exception | Error e) {
            stop();
            throw e;
        }
    }

    private void stop() throws Exception {
        running = false;
        closeAll(perServer);
    }

    private static void closeAll(Deque<AutoCloseable> resources) throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }
}
