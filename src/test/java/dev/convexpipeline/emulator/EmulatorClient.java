package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.testing.ConvexEmulatorExtension;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Plain JDK HttpClient calls against a running emulator, as tests need them. */
final class EmulatorClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ConvexEmulatorExtension emulator;

    /** Calls whichever emulator the extension runs at the time (each test may have its own). */
    EmulatorClient(ConvexEmulatorExtension emulator) {
        this.emulator = emulator;
    }

    record Response(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            return ConvexValues.parse(body);
        }
    }

    String adminKey() {
        return emulator.adminKey();
    }

    Response get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(emulator.url() + path)).GET(), headers);
    }

    Response post(String path, String body, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(emulator.url() + path))
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)), headers);
    }

    Response postBytes(String path, byte[] body, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(emulator.url() + path)).POST(HttpRequest.BodyPublishers.ofByteArray(body)), headers);
    }

    /** POST with {@code Content-Type: application/json} and the admin key. */
    Response adminJson(String path, String body) {
        return post(path, body, "Content-Type", "application/json", "Authorization", "Convex " + adminKey());
    }

    Response download(String path, Path target) {
        try {
            HttpResponse<Path> response = http.send(HttpRequest.newBuilder(URI.create(emulator.url() + path))
                    .header("Authorization", "Convex " + adminKey()).GET().build(), HttpResponse.BodyHandlers.ofFile(target));
            return new Response(response.statusCode(), "", response.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Calls a function as admin with encoded-JSON args; returns the whole UdfResponse body. */
    JsonNode call(String kind, String path, String argsJson, String format) {
        String body = "{\"path\":\"" + path + "\",\"args\":" + argsJson
                + (format == null ? "" : ",\"format\":\"" + format + "\"") + "}";
        Response response = adminJson("/api/" + kind, body);
        if (response.status() != 200) {
            throw new AssertionError("HTTP " + response.status() + " from /api/" + kind + ": " + response.body());
        }
        return response.json();
    }

    private Response send(HttpRequest.Builder builder, String... headers) {
        List<String> pairs = new ArrayList<>(List.of(headers));
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            builder.header(pairs.get(i), pairs.get(i + 1));
        }
        try {
            HttpResponse<String> response = http.send(builder.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(), response.headers());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
