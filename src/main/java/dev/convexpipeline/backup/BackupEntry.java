package dev.convexpipeline.backup;

import java.time.Instant;

/**
 * One backup as the catalog sees it in storage: a manifest (which makes it a backup), its ZIP and
 * its optional pin and verification markers.
 *
 * @param id           snapshot timestamp in ns
 * @param snapshotTime the snapshot instant
 * @param zipKey       key of the ZIP
 * @param manifestKey  key of the manifest
 * @param zipPresent   whether the ZIP object exists (false only if someone deleted it by hand)
 * @param manifest     the parsed manifest, or {@code null} when it could not be read ({@code problem} says why)
 * @param pinned       a pin marker exists: retention never deletes this backup
 * @param verification the last {@code backup verify} result, or {@code null} if never verified
 * @param problem      why the manifest could not be read, or {@code null}
 */
public record BackupEntry(String id, Instant snapshotTime, String zipKey, String manifestKey, boolean zipPresent,
                          BackupManifest manifest, boolean pinned, Verification verification, String problem) {

    /** The content of a {@code .verified.json} marker. */
    public record Verification(String verifiedAt, boolean ok, String firstDifference) {
    }

    public boolean verifiedOk() {
        return verification != null && verification.ok();
    }
}
