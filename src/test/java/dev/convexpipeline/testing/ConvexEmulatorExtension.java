package dev.convexpipeline.testing;

import dev.convexpipeline.convex.ConvexClient;
import dev.convexpipeline.convex.ConvexClientConfig;
import dev.convexpipeline.convex.FaultInjectingProxy;
import dev.convexpipeline.retry.RetryPolicy;
import dev.convexpipeline.emulator.ConvexEmulator;

import java.io.IOException;
import java.time.Duration;
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
public final class ConvexEmulatorExtension extends ServerExtension {
    private final ConvexEmulator.Config config;
    private final boolean bare;
    private boolean faultProxy;
    private Consumer<ConvexEmulator> setUp = emulator -> {
    };

    private ConvexEmulator emulator;
    private ConvexClient directClient;
    private FaultInjectingProxy proxy;
    private ConvexClient proxiedClient;

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
    protected void startServer() {
        emulator = closeWithServer((bare ? ConvexEmulator.bare(config) : new ConvexEmulator(config)).start());
        directClient = closeWithServer(quickClient(emulator.url(), emulator.adminKey()));
        setUp.accept(emulator);
    }

    @Override
    protected void beforeTest() throws IOException {
        if (faultProxy) {
            proxy = closeAfterTest(new FaultInjectingProxy(emulator.url()));
            proxiedClient = closeAfterTest(quickClient(proxy.url(), emulator.adminKey()));
        }
    }

    public ConvexEmulator emulator() {
        return required(emulator, "the emulator is not running: register the extension with @RegisterExtension");
    }

    public String url() {
        return emulator().url();
    }

    public String adminKey() {
        return emulator().adminKey();
    }

    /** This test's proxy (needs {@link #withFaultProxy()}). */
    public FaultInjectingProxy proxy() {
        return required(proxy, "no fault proxy in this test: build the extension withFaultProxy()");
    }

    /**
     * A client with quick retries: through this test's proxy when there is one (closed after the test), else
     * {@link #directClient()}.
     */
    public ConvexClient client() {
        return faultProxy ? required(proxiedClient, "no proxied client outside a test") : directClient();
    }

    /** A client with quick retries straight to the emulator, never through the proxy; closed with the emulator. */
    public ConvexClient directClient() {
        return required(directClient, "the emulator is not running: register the extension with @RegisterExtension");
    }

    /** A client for {@code url} with quick retries, so failure tests finish in well under a second. */
    public static ConvexClient quickClient(String url, String adminKey) {
        return new ConvexClient(ConvexClientConfig.of(url, adminKey)
                .withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(30))
                .withRetryPolicy(new RetryPolicy(3, Duration.ofMillis(20), Duration.ofMillis(100))));
    }
}
