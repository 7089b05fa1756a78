package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One change inside a commit, as written to the persistence journal. */
sealed interface JournalOp {
    record CreateTable(String table, int number) implements JournalOp {
    }

    record DropTable(String table) implements JournalOp {
    }

    /** Insert or overwrite; the document carries its own {@code _id}. */
    record Put(String table, String internalIdHex, ObjectNode document) implements JournalOp {
    }

    record Delete(String table, String internalIdHex) implements JournalOp {
    }
}
