package dev.convexpipeline.testing;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.FaultInjectingProxy;
import dev.convexpipeline.convex.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;

/**
 * A Convex emulator for a test, optionally behind a {@link FaultInjectingProxy}, with a client that talks to it:
 * <pre>
 * {@literal @}RegisterExtension
 * static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral().withFaultProxy();
 * </pre>
 * On a static field one emulator serves the whole class; on an instance field every test gets its own. The proxy
 * and the proxied client are always fresh for each test, so the faults one test injects never reach the next.
 * Started before the class's own {@code @BeforeAll}/{@code @BeforeEach} methods, stopped after their
 * {@code @After...} counterparts.
 */
public final class ConvexEmulatorExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    private final ConvexEmulator.Config config;
    private final boolean bare;
    private boolean faultProxy;
    private Consumer<ConvexEmulator> setUp = emulator -> {
    };

    private ConvexEmulator emulator;
    private boolean perClass;
    private ConvexClient directClient;
    private FaultInjectingProxy proxy;
    private ConvexClient proxiedClient;
    /** What lives for one test (proxy, proxied client) and what lives as long as the emulator, closed last-opened first. */
    private final Deque<AutoCloseable> perTest = new ArrayDeque<>();
    private final Deque<AutoCloseable> perEmulator = new ArrayDeque<>();

    private ConvexEmulatorExtension(ConvexEmulator.Config config, boolean bare) {
        this.config = config;
        this.bare = bare;
    }

    /** In memory, on a free port, with the application's functions. */
    public static ConvexEmulatorExtension ephemeral() {
        return new ConvexEmulatorExtension(ConvexEmulator.Config.ephemeral(), false);
    }

    /** With the application's functions, as {@code config} says (an instance name, a data directory...). */
    public static ConvexEmulatorExtension of(ConvexEmulator.Config config) {
        return new ConvexEmulatorExtension(config, false);
    }

    /** A deployment nobody has deployed functions to (see {@link ConvexEmulator#bare}). */
    public static ConvexEmulatorExtension bare() {
        return new ConvexEmulatorExtension(ConvexEmulator.Config.ephemeral(), true);
    }

    /** A fresh {@link FaultInjectingProxy} in front of the emulator for each test; {@link #client()} goes through it. */
    public ConvexEmulatorExtension withFaultProxy() {
        this.faultProxy = true;
        return this;
    }

    /** Run once the emulator has started: register test functions, seed documents. */
    public ConvexEmulatorExtension withSetUp(Consumer<ConvexEmulator> setUp) {
        this.setUp = setUp;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (emulator == null) {
            start();
        }
        if (faultProxy) {
            proxy = new FaultInjectingProxy(emulator.url());
            perTest.push(proxy);
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        proxy = null;
        proxiedClient = null;
        closeAll(perTest);
        if (!perClass) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
    }

    public ConvexEmulator emulator() {
        if (emulator == null) {
            throw new IllegalStateException("the emulator is not running: register the extension with @RegisterExtension");
        }
        return emulator;
    }

    public String url() {
        return emulator().url();
    }

    public String adminKey() {
        return emulator().adminKey();
    }

    /** This test's proxy (needs {@link #withFaultProxy()}). */
    public FaultInjectingProxy proxy() {
        if (proxy == null) {
            throw new IllegalStateException("no fault proxy in this test: build the extension withFaultProxy()");
        }
        return proxy;
    }

    /**
     * A client with quick retries: through this test's proxy when there is one (closed after the test), else
     * {@link #directClient()}.
     */
    public ConvexClient client() {
        if (faultProxy) {
            if (proxiedClient == null) {
                proxiedClient = quickClient(proxy().url(), adminKey());
                perTest.push(proxiedClient);
            }
            return proxiedClient;
        }
        return directClient();
    }

    /** A client with quick retries straight to the emulator, never through the proxy; closed with the emulator. */
    public ConvexClient directClient() {
        if (directClient == null) {
            directClient = quickClient(url(), adminKey());
            perEmulator.push(directClient);
        }
        return directClient;
    }

    /** A client for {@code url} with quick retries, so failure tests finish in well under a second. */
    public static ConvexClient quickClient(String url, String adminKey) {
        return new ConvexClient(ConvexClientConfig.of(url, adminKey)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100))));
    }

    private void start() {
        emulator = (bare ? ConvexEmulator.bare(config) : new ConvexEmulator(config)).start();
        perEmulator.push(emulator);
        try {
            setUp.accept(emulator);
        } catch (RuntimeException | Error e) {
            emulator.stop();
            throw e;
        }
    }

    private void stop() throws Exception {
        emulator = null;
        directClient = null;
        closeAll(perEmulator);
    }

    private static void closeAll(Deque<AutoCloseable> resources) throws Exception {
        while (!resources.isEmpty()) {
            resources.pop().close();
        }
    }
}
