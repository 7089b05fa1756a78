package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupCatalog;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/** Picks the base backup and the change segments for a restore, or says precisely why it cannot. */
public final class RestorePlanner {
    private final BackupTarget target;
    private final BackupCatalog backups;
    private final ChangeCatalog changes;

    public RestorePlanner(BackupTarget target, BackupLayout layout) {
        this.target = target;
        this.backups = new BackupCatalog(target, layout);
        this.changes = new ChangeCatalog(target, new ChangeLayout(layout));
    }

    /** An ISO-8601 instant ({@code 2026-12-03T21:15:00.5Z}) or a Convex snapshot timestamp in ns. */
    public static long parseMoment(String text) {
        String value = text.trim();
        if (value.matches("\\d{1,19}")) {
            return Long.parseLong(value);
        }
        try {
            Instant at = Instant.parse(value);
            return Math.addExact(Math.multiplyExact(at.getEpochSecond(), 1_000_000_000L), at.getNano());
        } catch (DateTimeParseException | ArithmeticException e) {
            throw new IllegalArgumentException("--at must be an ISO-8601 UTC time like 2026-12-03T21:15:00Z or a snapshot"
                    + " timestamp in nanoseconds, got '" + text + "'");
        }
    }

    public ChangeCatalog.Listing listing() throws IOException {
        return changes.read(backups.read().backups());
    }

    public RestorePlan plan(long atTs) throws IOException {
        List<BackupEntry> all = backups.read().backups();
        ChangeCatalog.Listing listing = changes.read(all);
        Optional<BackupEntry> exact = all.stream().filter(b -> Long.parseLong(b.id()) == atTs && b.manifest() != null
                && b.zipPresent()).findFirst();
        Optional<ChangeCatalog.Chain> chain = listing.covering(atTs);
        if (chain.isEmpty()) {
            if (exact.isPresent()) {
                return new RestorePlan(atTs, exact.get(), List.of(), null);
            }
            throw new IllegalArgumentException(explainUncovered(atTs, all, listing));
        }
        BackupEntry base = chain.get().bases().stream().filter(b -> Long.parseLong(b.id()) <= atTs)
                .max(Comparator.comparing(BackupEntry::snapshotTime)).orElseThrow();
        long baseTs = Long.parseLong(base.id());
        List<RestorePlan.PlannedSegment> segments = new ArrayList<>();
        for (ChangeCatalog.Segment segment : chain.get().segments()) {
            if (segment.toTs() > baseTs && segment.fromTs() < atTs) {
                segments.add(new RestorePlan.PlannedSegment(segment, changes.readManifest(segment)));
            }
        }
        return new RestorePlan(atTs, base, List.copyOf(segments), chain.get());
    }

    private static String explainUncovered(long atTs, List<BackupEntry> backups, ChangeCatalog.Listing listing) {
        String moment = ChangeCatalog.iso(atTs) + " (" + atTs + ")";
        String windows = windows(listing);
        if (backups.isEmpty()) {
            return "no backup exists to restore from; take one with `backup run`";
        }
        for (ChainBreak gap : listing.breaks()) {
            Optional<ChangeCatalog.Chain> after = listing.chains().stream().filter(c -> c.start() > gap.afterTs())
                    .min(Comparator.comparingLong(ChangeCatalog.Chain::start));
            long gapEnd = after.map(ChangeCatalog.Chain::start).orElse(Long.MAX_VALUE);
            if (atTs > gap.afterTs() && atTs < gapEnd) {
                return moment + " falls in a gap of the change log: the deployment no longer had the changes after "
                        + gap.afterTime() + " (chain break recorded " + gap.detectedAt() + "), and the next chain starts "
                        + (after.isPresent() ? "at " + ChangeCatalog.iso(gapEnd) : "with the next base backup")
                        + "; restorable windows: " + windows;
            }
        }
        return moment + " is outside every restorable window: " + windows
                + " (see `backup list`; a moment must lie between a base backup and the end of its captured changes)";
    }

    static String windows(ChangeCatalog.Listing listing) {
        List<String> parts = listing.chains().stream().filter(ChangeCatalog.Chain::restorable)
                .map(c -> ChangeCatalog.iso(c.windowStart()) + " .. " + ChangeCatalog.iso(c.end())).toList();
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }
}
