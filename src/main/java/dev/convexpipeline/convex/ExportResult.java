package dev.convexpipeline.convex;

/**
 * A snapshot that was exported and copied to the caller's stream.
 *
 * @param startTs snapshot timestamp (ns since the epoch), also the download id
 * @param bytes   ZIP bytes written to the caller's stream
 */
public record ExportResult(long startTs, long bytes) {
}
