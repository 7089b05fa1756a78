package dev.convexpipeline.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;
import dev.convexpipeline.emulator.ConvexEmulator;

import java.util.List;

/** A small deployment's worth of documents with every value kind a snapshot must keep (int64, float64, bytes). */
public final class SampleDocuments {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private SampleDocuments() {
    }

    /** 25 messages (int64 counts, float64 ratios), 3 users, 1 order with bytes: 29 documents in 3 tables. */
    public static void seed(ConvexEmulator emulator) {
        for (int i = 0; i < 25; i++) {
            ObjectNode message = NODES.objectNode().put("body", "message " + i).put("ratio", i / 2.0);
            message.set("count", ConvexValues.int64(i));
            emulator.insert("messages", message);
        }
        for (String name : List.of("Ada", "Grace", "Linus")) {
            emulator.insert("users", NODES.objectNode().put("name", name));
        }
        emulator.insert("orders", NODES.objectNode().put("sku", "A1").set("blob", ConvexValues.bytes(new byte[] {0, 1, 2})));
    }
}
