package dev.convexpipeline.emulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The WebSocket sync subset the CLI relies on (docs/convex-wire.md §5.3). */
class EmulatorSyncTest {
    @RegisterExtension
    final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();
    private WebSocket socket;
    private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() {
        socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + convex.emulator().port() + "/api/1.48.0/sync"), new WebSocket.Listener() {
                    private final StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            received.add(ConvexValues.parse(partial.toString()));
                            partial.setLength(0);
                        }
                        webSocket.request(1);
                        return null;
                    }
                }).join();
    }

    @AfterEach
    void stop() {
        socket.abort();
    }

    @Test
    void transitionsChainVersionsAndPushChangesAfterCommits() throws Exception {
        send("{\"connectionCount\":0,\"lastCloseReason\":\"InitialConnect\",\"type\":\"Connect\",\"sessionId\":\"s\",\"clientTs\":1}");
        send("{\"type\":\"Authenticate\",\"baseVersion\":0,\"tokenType\":\"Admin\",\"value\":\"" + convex.adminKey() + "\"}");
        send("{\"type\":\"ModifyQuerySet\",\"baseVersion\":0,\"newVersion\":1,\"modifications\":"
                + "[{\"type\":\"Add\",\"queryId\":0,\"udfPath\":\"ops:tableCounts\",\"args\":[{}]}]}");
        JsonNode previousEnd = ConvexValues.parse("{\"querySet\":0,\"identity\":0,\"ts\":\"AAAAAAAAAAA=\"}");
        JsonNode last = null;
        for (int i = 0; i < 2; i++) {
            last = next();
            assertThat(last.get("type").asText()).isEqualTo("Transition");
            assertThat(last.get("startVersion")).isEqualTo(previousEnd);
            previousEnd = last.get("endVersion");
        }
        assertThat(previousEnd.get("querySet").asInt()).isEqualTo(1);
        assertThat(previousEnd.get("identity").asInt()).isEqualTo(1);
        JsonNode update = last.get("modifications").get(0);
        assertThat(update.get("type").asText()).isEqualTo("QueryUpdated");
        assertThat(update.get("value").get("users")).as("encoded JSON: int64 as $integer")
                .isEqualTo(ConvexValues.parse("{\"$integer\":\"AAAAAAAAAAA=\"}"));

        convex.emulator().runMutation("users:upsert", JsonNodeFactory.instance.objectNode().put("authSubject", "sync|a"));
        JsonNode pushed = next();
        assertThat(pushed.get("startVersion")).isEqualTo(previousEnd);
        assertThat(pushed.get("endVersion").get("querySet").asInt()).isEqualTo(1);
        assertThat(pushed.get("modifications").get(0).get("value").get("users"))
                .isEqualTo(ConvexValues.parse("{\"$integer\":\"AQAAAAAAAAA=\"}"));

        send("{\"type\":\"ModifyQuerySet\",\"baseVersion\":1,\"newVersion\":2,\"modifications\":[{\"type\":\"Remove\",\"queryId\":0}]}");
        JsonNode removed = next();
        assertThat(removed.get("modifications").get(0).get("type").asText()).isEqualTo("QueryRemoved");
    }

    @Test
    void badAdminKeyGetsAuthErrorAndSystemQueriesFail() throws Exception {
        send("{\"type\":\"Authenticate\",\"baseVersion\":0,\"tokenType\":\"Admin\",\"value\":\"convex-self-hosted|00\"}");
        JsonNode authError = next();
        assertThat(authError.get("type").asText()).isEqualTo("AuthError");
        assertThat(authError.get("baseVersion").asInt()).isZero();
        send("{\"type\":\"ModifyQuerySet\",\"baseVersion\":0,\"newVersion\":1,\"modifications\":"
                + "[{\"type\":\"Add\",\"queryId\":0,\"udfPath\":\"_system/cli/exports:getLatest\",\"args\":[{}]}]}");
        JsonNode transition = next();
        assertThat(transition.get("modifications").get(0).get("type").asText()).isEqualTo("QueryFailed");
    }

    private void send(String json) {
        socket.sendText(json, true).join();
    }

    private JsonNode next() throws InterruptedException {
        JsonNode message = received.poll(10, TimeUnit.SECONDS);
        assertThat(message).as("a sync message within 10s").isNotNull();
        return message;
    }
}
