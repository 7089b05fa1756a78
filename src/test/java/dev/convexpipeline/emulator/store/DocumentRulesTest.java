package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Convex's document rules at the store, the one place every write path (mutations, imports, demo data) passes. */
class DocumentRulesTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void eachRuleAnswersWithTheBackendsCodeAndText() {
        try (DocumentStore store = new DocumentStore(Optional.empty())) {
            assertRefused(store, NODES.objectNode().put("$x", 1), "InvalidFieldName",
                    "Field name $x starts with '$', which is reserved.");
            ObjectNode nested = NODES.objectNode();
            nested.putObject("inner").put("caf\u00e9", 1);
            assertRefused(store, nested, "InvalidFieldName", "Field name caf\u00e9 has invalid character '\u00e9': "
                    + "Field names can only contain non-control ASCII characters");
            assertRefused(store, NODES.objectNode().put("x".repeat(1025), 1), "InvalidFieldName",
                    "Field name is too long (1025 > maximum 1024)");
            assertRefused(store, NODES.objectNode().put("s", "x".repeat(1_100_000)), "ValueTooLargeError",
                    "Value is too large (1.05 MiB > maximum size 1 MiB)");
            ObjectNode many = NODES.objectNode();
            for (int i = 0; i <= DocumentRules.MAX_OBJECT_FIELDS; i++) {
                many.put("f" + i, i);
            }
            // Counted with _id and _creationTime, which the stored object carries too.
            assertRefused(store, many, "TooManyFieldsError", "Object has too many fields (1027 > maximum number 1024)");
            ObjectNode longArray = NODES.objectNode();
            for (int i = 0; i <= DocumentRules.MAX_ARRAY_LENGTH; i++) {
                longArray.withArray("a").add(i);
            }
            assertRefused(store, longArray, "ArrayTooLong", "Array length is too long (8193 > maximum length 8192)");
            ObjectNode deep = NODES.objectNode();
            ObjectNode level = deep;
            for (int i = 0; i < DocumentRules.MAX_DOCUMENT_NESTING; i++) {
                level = level.putObject("a");
            }
            assertRefused(store, deep, "InvalidDocumentError",
                    "Document is too nested (nested 17 levels deep > maximum nesting 16)");
            assertRefused(store, NODES.objectNode().put("s", "bad\ud800"), "InvalidString",
                    "String contains a lone surrogate (U+D800), which is not valid UTF-8");
            assertThat(store.latest().table("t")).as("nothing refused was committed").isEmpty();
        }
    }

    @Test
    void aRefusedWriteNeverReachesTheJournalAndLaterWritesAndRestartsWork(@TempDir Path dataDir) {
        try (DocumentStore store = new DocumentStore(Optional.of(dataDir))) {
            store.write(tx -> tx.insert("t", NODES.objectNode().put("n", 1)));
            assertThatThrownBy(() -> store.write(tx -> tx.insert("t", NODES.objectNode().put("s", "bad\udc00"))))
                    .isInstanceOf(DocumentRules.Violation.class);
            assertThatThrownBy(() -> store.write(tx -> tx.insert("t", NODES.objectNode().put("$x", 1))))
                    .isInstanceOf(DocumentRules.Violation.class);
            store.write(tx -> tx.insert("t", NODES.objectNode().put("n", 2)));
        }
        try (DocumentStore reopened = new DocumentStore(Optional.of(dataDir))) {
            assertThat(reopened.latest().documents("t")).extracting(doc -> doc.get("n").intValue())
                    .containsExactlyInAnyOrder(1, 2);
        }
    }

    private static void assertRefused(DocumentStore store, ObjectNode fields, String code, String message) {
        assertThatThrownBy(() -> store.write(tx -> tx.insert("t", fields)))
                .isInstanceOfSatisfying(DocumentRules.Violation.class, violation -> {
                    assertThat(violation.code()).isEqualTo(code);
                    assertThat(violation.getMessage()).endsWith(message);
                });
    }
}
