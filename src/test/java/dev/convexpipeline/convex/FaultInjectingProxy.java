package dev.convexpipeline.convex;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP hop between the client and an emulator that answers the first {@code N} requests
 * itself with an error status (503 by default), then forwards everything. Lets retry tests run
 * over real sockets end to end instead of mocking the HTTP client. It can also lose replies: forward
 * a request (so the server acts on it) and answer 502 instead of the server's reply.
 */
public final class FaultInjectingProxy implements AutoCloseable {
    private static final Set<String> HOP_HEADERS = Set.of("host", "content-length", "connection", "transfer-encoding",
            "upgrade", "keep-alive", "expect");

    private final URI target;
    private final HttpServer server;
    private final HttpClient forwarder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicInteger delaysLeft = new AtomicInteger();
    private final AtomicInteger lostRepliesLeft = new AtomicInteger();
    private volatile String lostReplyBodyMarker = "";
    private volatile long delayMillis;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();
    private volatile int failureStatus = 503;
    private volatile String retryAfter;
    private volatile String failingPathPrefix = "/";
    private volatile String failureBody = "{\"code\":\"Overloaded\",\"message\":\"injected failure\"}";

    public FaultInjectingProxy(String targetUrl) throws IOException {
        this.target = URI.create(targetUrl);
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code count} requests get {@code status} (with {@code Retry-After} if not null). */
    void failNext(int count, int status, String retryAfterHeader) {
        failNext(count, status, retryAfterHeader, "/");
    }

    /** Like {@link #failNext(int, int, String)}, counting only requests whose path starts with {@code pathPrefix}. */
    void failNext(int count, int status, String retryAfterHeader, String pathPrefix) {
        failNext(count, status, retryAfterHeader, pathPrefix, "Overloaded", "injected failure");
    }

    /** Like {@link #failNext(int, int, String, String)}, answering with the given Convex error code and message. */
    void failNext(int count, int status, String retryAfterHeader, String pathPrefix, String code, String message) {
        this.failureBody = "{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}";
        this.failingPathPrefix = pathPrefix;
        this.failureStatus = status;
        this.retryAfter = retryAfterHeader;
        failuresLeft.set(count);
    }

    /** The next {@code count} requests are held for {@code millis} before being forwarded (a hung server). */
    public void delayNext(int count, long millis) {
        this.delayMillis = millis;
        delaysLeft.set(count);
    }

    /**
     * The next {@code count} requests whose body contains {@code bodyMarker} (e.g. a function path)
     * reach the server, but their reply is lost: the client gets 502, as from a load balancer whose
     * upstream connection dropped after the server had acted.
     */
    public void loseReplyNext(int count, String bodyMarker) {
        this.lostReplyBodyMarker = bodyMarker;
        lostRepliesLeft.set(count);
    }

    public int requestCount() {
        return requests.get();
    }

    public List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    private void handle(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        String pathAndQuery = exchange.getRequestURI().getRawPath()
                + (exchange.getRequestURI().getRawQuery() == null ? "" : "?" + exchange.getRequestURI().getRawQuery());
        requestLines.add(exchange.getRequestMethod() + " " + pathAndQuery);
        try (exchange) {
            byte[] requestBody = exchange.getRequestBody().readAllBytes();
            if (delaysLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                try {
                    // The injected fault: a slow upstream answer.
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            boolean matches = exchange.getRequestURI().getRawPath().startsWith(failingPathPrefix);
            if (matches && failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                byte[] body = failureBody.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                if (retryAfter != null) {
                    exchange.getResponseHeaders().add("Retry-After", retryAfter);
                }
                exchange.sendResponseHeaders(failureStatus, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(target + pathAndQuery))
                    .method(exchange.getRequestMethod(), requestBody.length == 0
                            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(requestBody));
            for (Map.Entry<String, List<String>> header : exchange.getRequestHeaders().entrySet()) {
                if (!HOP_HEADERS.contains(header.getKey().toLowerCase())) {
                    header.getValue().forEach(value -> forward.header(header.getKey(), value));
                }
            }
            HttpResponse<InputStream> response;
            try {
                response = forwarder.send(forward.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (new String(requestBody, StandardCharsets.UTF_8).contains(lostReplyBodyMarker)
                    && lostRepliesLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                try (InputStream discarded = response.body()) {
                    discarded.readAllBytes();
                }
                byte[] body = "{\"code\":\"BadGateway\",\"message\":\"injected lost reply\"}".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(502, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            response.headers().map().forEach((name, values) -> {
                if (!HOP_HEADERS.contains(name.toLowerCase()) && !name.startsWith(":")) {
                    values.forEach(value -> exchange.getResponseHeaders().add(name, value));
                }
            });
            exchange.sendResponseHeaders(response.statusCode(), 0);
            try (InputStream in = response.body(); OutputStream out = exchange.getResponseBody()) {
                in.transferTo(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
