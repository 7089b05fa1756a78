package dev.convexpipeline.convex;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.testing.ConvexEmulatorExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code /api/list_snapshot} over more than one page, with the snapshot pinned by the first page. */
class ListSnapshotPagingTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int DOCUMENTS = 2_500;

    @RegisterExtension
    static final ConvexEmulatorExtension convex = ConvexEmulatorExtension.ephemeral();

    @BeforeAll
    static void seed() {
        importLabels("pages", ImportMode.REQUIRE_EMPTY, DOCUMENTS, "doc");
    }

    @Test
    void iteratesEveryDocumentAcrossPagesExactlyOnce() {
        List<SnapshotDocument> all = convex.client().listSnapshot("pages").toList();

        assertThat(all).hasSize(DOCUMENTS);
        Set<String> ids = new HashSet<>();
        all.forEach(doc -> ids.add(doc.id()));
        assertThat(ids).hasSize(DOCUMENTS);
        assertThat(all).allSatisfy(doc -> {
            assertThat(doc.table()).isEqualTo("pages");
            assertThat(doc.component()).isEmpty();
            assertThat(doc.ts()).isPositive();
            assertThat(doc.document().has("_table")).as("metadata is stripped from the document").isFalse();
            assertThat(doc.document().get("n").isFloatingPointNumber()).isTrue();
        });
    }

    @Test
    void firstPageHasMoreAndPinsTheSnapshotForLaterPages() {
        importLabels("pinned", ImportMode.REQUIRE_EMPTY, 1_500, "p");
        SnapshotPage first = convex.client().listSnapshotPage("pinned", null, null);
        assertThat(first.hasMore()).isTrue();
        assertThat(first.cursor()).isNotNull();
        assertThat(first.documents()).isNotEmpty().hasSizeLessThan(1_500);

        // Written after the snapshot was pinned: must not show up in the remaining pages.
        importLabels("pinned", ImportMode.APPEND, 10, "late");
        int seen = first.documents().size();
        SnapshotPage page = first;
        int pages = 1;
        while (page.hasMore()) {
            page = convex.client().listSnapshotPage("pinned", first.snapshot(), page.cursor());
            assertThat(page.snapshot()).isEqualTo(first.snapshot());
            assertThat(page.documents()).noneMatch(doc -> doc.document().path("label").asText().startsWith("late"));
            seen += page.documents().size();
            pages++;
        }

        assertThat(pages).isGreaterThan(1);
        assertThat(seen).isEqualTo(1_500);
        assertThat(convex.client().listSnapshot("pinned").count()).as("a new listing sees the late writes").isEqualTo(1_510);
    }

    private static void importLabels(String table, ImportMode mode, int count, String prefix) {
        List<ObjectNode> docs = IntStream.range(0, count)
                .mapToObj(i -> NODES.objectNode().put("label", prefix + i).put("n", i)).toList();
        convex.client().importSnapshot(new ByteArrayInputStream(TestSnapshots.jsonLines(docs)),
                ImportOptions.table(ImportFormat.JSON_LINES, table, mode));
    }
}
