package dev.convexpipeline.backup;

import java.io.IOException;

/** The bytes are not a well-formed Convex snapshot ZIP (broken structure, bad JSONL line). */
public class SnapshotFormatException extends IOException {
    public SnapshotFormatException(String message) {
        super(message);
    }
}
