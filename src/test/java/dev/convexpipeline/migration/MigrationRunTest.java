package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Full migrations between two emulators over HTTP, snapshots and journals in S3Proxy. */
class MigrationRunTest {
    private MigrationFixture fixture;

    @BeforeEach
    void start() throws Exception {
        fixture = new MigrationFixture();
        fixture.seedSource();
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    static List<String> sorted(List<ObjectNode> documents) {
        return documents.stream().map(ObjectNode::toString).sorted(Comparator.naturalOrder()).toList();
    }

    @Test
    void liveSourceMigratesAndVerifies() throws Exception {
        try (Migrator migrator = fixture.migrator()) {
            MigrationJournal done = migrator.run(fixture.request(fixture.source.url(), null), Migrator.Confirmation.REFUSE);

            assertThat(done.status()).isEqualTo(MigrationStatus.VERIFIED);
            assertThat(done.report()).extracting(TableReport::table).containsExactlyInAnyOrder("messages", "users", "orders");
            assertThat(done.report()).allSatisfy(t -> assertThat(t.status()).isEqualTo("ok"));
            for (String table : List.of("messages", "users", "orders")) {
                assertThat(sorted(fixture.target.documents(table))).as(table).isEqualTo(sorted(fixture.source.documents(table)));
            }
            assertThat(done.snapshot().instance()).isEqualTo("source-dev");
            assertThat(done.rollbackPoint()).isNotNull();
            assertThat(migrator.journals().get(done.id()).status()).isEqualTo(MigrationStatus.VERIFIED);
        }
    }
}
