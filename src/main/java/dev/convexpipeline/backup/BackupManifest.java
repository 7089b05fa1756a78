package dev.convexpipeline.backup;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.time.Instant;
import java.util.Map;

/**
 * The manifest written beside every snapshot ZIP once the ZIP is complete (docs/backup-manifest.md,
 * format version {@value #VERSION}). It describes what the ZIP must contain so {@code backup verify}
 * can check it later; it holds no secret (no admin key, no storage credentials).
 *
 * @param format              always {@value #FORMAT}
 * @param manifestVersion     {@value #VERSION}; readers reject versions they do not know
 * @param id                  backup id: the snapshot timestamp in ns, as Convex names its exports
 * @param source              deployment the snapshot came from
 * @param snapshotTs          Convex snapshot timestamp (ns since the epoch)
 * @param snapshotTime        the same instant, ISO-8601 UTC
 * @param startedAt           when the backup run started (ISO-8601 UTC)
 * @param finishedAt          when the ZIP upload completed (ISO-8601 UTC)
 * @param includesFileStorage whether the export included file storage
 * @param zip                 the ZIP object: name (beside this manifest), size, SHA-256
 * @param documents           documents in user tables
 * @param tables              every {@code documents.jsonl} in the ZIP by folder, with its line count and digest
 * @param tableDigest         how table digests are computed: {@value #TABLE_DIGEST}
 * @param entries             ZIP entries
 * @param storageFiles        file-storage blobs in the ZIP
 * @param pipelineVersion     version of the pipeline that wrote the backup
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"format", "manifestVersion", "id", "source", "snapshotTs", "snapshotTime", "startedAt",
        "finishedAt", "includesFileStorage", "zip", "documents", "tables", "tableDigest", "entries", "storageFiles",
        "pipelineVersion"})
public record BackupManifest(String format, int manifestVersion, String id, Source source, long snapshotTs,
                             String snapshotTime, String startedAt, String finishedAt, boolean includesFileStorage,
                             Zip zip, long documents, Map<String, Table> tables, String tableDigest, int entries,
                             long storageFiles, String pipelineVersion) {
    public static final String FORMAT = "convex-pipeline-backup";
    public static final int VERSION = 1;
    public static final String TABLE_DIGEST = "sum-mod-2^256-of-sha256-per-line";

    static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** @param url deployment URL; @param instance its instance name */
    public record Source(String url, String instance) {
    }

    /** @param name object name beside the manifest; @param bytes size; @param sha256 lowercase hex */
    public record Zip(String name, long bytes, String sha256) {
    }

    /** @param documents lines in the table's documents.jsonl; @param digest see {@link TableDigest} */
    public record Table(long documents, String digest) {
    }

    public Instant snapshotInstant() {
        return Instant.parse(snapshotTime);
    }

    public long userTables() {
        return tables.keySet().stream().filter(SnapshotScanner::isUserTable).count();
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("Manifest " + id + " could not be serialized", e);
        }
    }

    /** Parses and checks the format and version, so a future format is refused rather than misread. */
    public static BackupManifest parse(byte[] json, String where) throws IOException {
        BackupManifest manifest;
        try {
            manifest = JSON.readValue(json, BackupManifest.class);
        } catch (IOException e) {
            throw new IOException("Manifest " + where + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(manifest.format())) {
            throw new IOException("Manifest " + where + " has format " + manifest.format() + ", expected " + FORMAT);
        }
        if (manifest.manifestVersion() != VERSION) {
            throw new IOException("Manifest " + where + " has version " + manifest.manifestVersion()
                    + "; this pipeline reads version " + VERSION + ": upgrade the pipeline");
        }
        return manifest;
    }
}
