package dev.convexpipeline.schedule;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two pipeline processes on one PostgreSQL-backed Quartz cluster: a schedule fires once per tick
 * across both, and the survivor keeps firing after the other is killed.
 */
@Tag("postgres")
class ClusteredScheduleTest {
    @TempDir
    Path work;
    private QuartzClusterNodes nodes;

    @BeforeEach
    void writeTickRoute() throws IOException {
        nodes = new QuartzClusterNodes(work, "t");
        Files.createDirectories(work.resolve("routes"));
        Files.writeString(work.resolve("routes/tick.camel.yaml"), """
                - route:
                    id: tick
                    from:
                      uri: "quartz:test/tick?cron=0/1+*+*+*+*+?&trigger.misfireInstruction=2"
                      steps:
                        - setBody:
                            simple: "tick ${header.scheduledFireTime.getTime()} "
                        - to: "file:{{env:TEST_FIRE_DIR}}?fileName={{env:TEST_NODE}}.log&fileExist=Append"
                """);
    }

    @AfterEach
    void stopAndDropTables() throws Exception {
        nodes.close();
    }

    @Test
    void aScheduleFiresOnceAcrossInstancesAndTheSurvivorTakesOver() throws Exception {
        Process a = startNode("a");
        Process b = startNode("b");

        await().atMost(Duration.ofSeconds(60)).until(() -> fires("a").size() + fires("b").size() >= 6);
        List<Long> all = new ArrayList<>(fires("a"));
        all.addAll(fires("b"));
        assertThat(all).as("each scheduled tick fired on exactly one instance").doesNotHaveDuplicates();

        a.destroyForcibly().waitFor();
        long killedAt = System.currentTimeMillis();
        await().atMost(Duration.ofSeconds(40)).until(() -> fires("b").stream().anyMatch(t -> t > killedAt + 1000));
        assertThat(b.isAlive()).isTrue();
        List<Long> afterKill = fires("b").stream().filter(t -> t > killedAt + 1000).toList();
        assertThat(afterKill).as("the survivor fires after the other instance died").isNotEmpty();
        assertThat(fires("b")).doesNotHaveDuplicates();
    }

    private Process startNode(String node) throws Exception {
        return nodes.start(node, Map.of(
                "PIPELINE_ROUTES_DIR", work.resolve("routes").toString(),
                "TEST_NODE", node,
                "TEST_FIRE_DIR", work.toString()));
    }

    private List<Long> fires(String node) {
        Path log = work.resolve(node + ".log");
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            return java.util.Arrays.stream(Files.readString(log).split("tick ")).map(String::strip).filter(t -> !t.isEmpty())
                    .map(Long::parseLong).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
