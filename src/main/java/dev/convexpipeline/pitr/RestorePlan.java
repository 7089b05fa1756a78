package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupEntry;

import java.util.List;

/**
 * What a restore to {@code atTs} reads: the newest base backup at or before it and the segments of
 * the same chain that hold changes after the base, up to the moment.
 */
public record RestorePlan(long atTs, BackupEntry base, List<PlannedSegment> segments, ChangeCatalog.Chain chain) {
    public record PlannedSegment(ChangeCatalog.Segment segment, SegmentManifest manifest) {
    }

    public long baseTs() {
        return Long.parseLong(base.id());
    }
}
