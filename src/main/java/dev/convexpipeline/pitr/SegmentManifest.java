package dev.convexpipeline.pitr;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.util.Map;

/**
 * The manifest written after a change segment is complete (docs/point-in-time-restore.md). Like a
 * backup manifest it is what makes the segment exist: a segment without one is ignored.
 *
 * @param format          always {@value #FORMAT}
 * @param manifestVersion {@value #VERSION}; readers reject versions they do not know
 * @param instance        instance the changes came from
 * @param chainStart      snapshot timestamp of the base backup the chain of this segment starts at
 * @param fromTs          exclusive lower bound: the segment holds every change committed after it ...
 * @param toTs            ... up to and including this timestamp (ns)
 * @param fromTime        {@code fromTs} as ISO-8601 UTC
 * @param toTime          {@code toTs} as ISO-8601 UTC
 * @param documents       change lines in the segment
 * @param tables          change lines per table
 * @param segment         the segment object: name (beside this manifest), size, SHA-256 of its bytes
 * @param writtenAt       when the segment was completed (ISO-8601 UTC)
 * @param pipelineVersion version of the pipeline that wrote it
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"format", "manifestVersion", "instance", "chainStart", "fromTs", "toTs", "fromTime", "toTime",
        "documents", "tables", "segment", "writtenAt", "pipelineVersion"})
public record SegmentManifest(String format, int manifestVersion, String instance, long chainStart, long fromTs, long toTs,
                              String fromTime, String toTime, long documents, Map<String, Long> tables, Segment segment,
                              String writtenAt, String pipelineVersion) {
    public static final String FORMAT = "convex-pipeline-changes";
    public static final int VERSION = 1;

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** @param name object name beside the manifest; @param bytes size; @param sha256 lowercase hex */
    public record Segment(String name, long bytes, String sha256) {
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("Segment manifest " + fromTs + "-" + toTs + " could not be serialized", e);
        }
    }

    public static SegmentManifest parse(byte[] json, String where) throws IOException {
        SegmentManifest manifest;
        try {
            manifest = JSON.readValue(json, SegmentManifest.class);
        } catch (IOException e) {
            throw new IOException("Segment manifest " + where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(manifest.format())) {
            throw new IOException("Segment manifest " + where + " has format " + manifest.format() + ", expected " + FORMAT);
        }
        if (manifest.manifestVersion() != VERSION) {
            throw new IOException("Segment manifest " + where + " has version " + manifest.manifestVersion()
                    + "; this pipeline reads version " + VERSION + ": upgrade the pipeline");
        }
        return manifest;
    }
}
