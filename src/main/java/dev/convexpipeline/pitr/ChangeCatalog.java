package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.StoredObject;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The change log as stored: complete segments (those with a manifest) grouped into chains of
 * contiguous cursor ranges, the chain breaks, and the base backups each chain can start from.
 * Like {@link dev.convexpipeline.backup.BackupCatalog} it reads the storage itself, no local state.
 */
public final class ChangeCatalog {
    private final BackupTarget target;
    private final ChangeLayout layout;

    /** One complete segment: changes committed in ({@code fromTs}, {@code toTs}]. */
    public record Segment(long fromTs, long toTs, String key, String manifestKey) {
    }

    /**
     * Contiguous segments and the backups inside their range.
     *
     * @param start    where the first segment begins (the snapshot timestamp of the backup it followed)
     * @param end      the newest timestamp up to which every change is captured
     * @param segments in order, each beginning where the previous ends
     * @param bases    backups whose snapshot lies in [{@code start}, {@code end}], oldest first
     * @param broken   the break recorded at {@code end}, or null when the chain may still grow
     */
    public record Chain(long start, long end, List<Segment> segments, List<BackupEntry> bases, ChainBreak broken) {
        /** First restorable instant: the oldest base backup in the chain (null when none is left). */
        public Long windowStart() {
            return bases.isEmpty() ? null : Long.valueOf(bases.get(0).id());
        }

        public boolean restorable() {
            return !bases.isEmpty();
        }
    }

    /** @param chains oldest first; @param incomplete segment objects without a manifest */
    public record Listing(List<Chain> chains, List<ChainBreak> breaks, List<StoredObject> incomplete) {
        /** The chain holding {@code ts} in its restorable window, if any. */
        public Optional<Chain> covering(long ts) {
            return chains.stream().filter(c -> c.restorable() && c.windowStart() <= ts && ts <= c.end()).findFirst();
        }
    }

    public ChangeCatalog(BackupTarget target, ChangeLayout layout) {
        this.target = target;
        this.layout = layout;
    }

    public ChangeLayout layout() {
        return layout;
    }

    /** Reads the change log and places {@code backups} (any order) in the chains. */
    public Listing read(List<BackupEntry> backups) throws IOException {
        Map<String, StoredObject> segmentObjects = new HashMap<>();
        List<Segment> complete = new ArrayList<>();
        List<ChainBreak> breaks = new ArrayList<>();
        for (StoredObject object : target.list(layout.prefix())) {
            Optional<ChangeLayout.Parsed> parsed = layout.parse(object.key());
            if (parsed.isPresent()) {
                ChangeLayout.Parsed p = parsed.get();
                if (p.kind() == ChangeLayout.Kind.MANIFEST) {
                    complete.add(new Segment(p.fromTs(), p.toTs(), layout.key(p.fromTs(), p.toTs(), ChangeLayout.Kind.SEGMENT),
                            object.key()));
                } else {
                    segmentObjects.put(object.key(), object);
                }
            } else if (layout.parseBreak(object.key()).isPresent()) {
                breaks.add(readBreak(object.key()));
            }
        }
        complete.sort(Comparator.comparingLong(Segment::fromTs).thenComparingLong(Segment::toTs));
        List<StoredObject> incomplete = new ArrayList<>();
        for (StoredObject object : segmentObjects.values()) {
            if (complete.stream().noneMatch(s -> s.key().equals(object.key()))) {
                incomplete.add(object);
            }
        }
        Optional<CaptureHead> head = readHead();
        List<BackupEntry> usable = backups.stream().filter(b -> b.manifest() != null && b.zipPresent())
                .sorted(Comparator.comparing(BackupEntry::snapshotTime)).toList();

        List<long[]> ranges = new ArrayList<>();
        List<List<Segment>> grouped = new ArrayList<>();
        for (Segment segment : complete) {
            if (!grouped.isEmpty() && ranges.get(ranges.size() - 1)[1] == segment.fromTs()) {
                grouped.get(grouped.size() - 1).add(segment);
                ranges.get(ranges.size() - 1)[1] = segment.toTs();
            } else if (grouped.isEmpty() || segment.fromTs() > ranges.get(ranges.size() - 1)[1]) {
                grouped.add(new ArrayList<>(List.of(segment)));
                ranges.add(new long[]{segment.fromTs(), segment.toTs()});
            }
            // A segment overlapping the previous one cannot come from the capturer, which only ever
            // continues the newest manifest; ignoring it keeps every change exactly once.
        }
        // A chain the capturer started but that has no change yet is still a window: the base itself.
        if (head.isPresent() && ranges.stream().noneMatch(r -> r[0] <= head.get().chainStart() && head.get().chainStart() <= r[1])) {
            grouped.add(new ArrayList<>());
            ranges.add(new long[]{head.get().chainStart(), head.get().chainStart()});
        }
        List<Chain> chains = new ArrayList<>();
        for (int i = 0; i < ranges.size(); i++) {
            long start = ranges.get(i)[0];
            long end = ranges.get(i)[1];
            if (head.isPresent() && head.get().cursor() == end && head.get().quietThrough() > end) {
                end = head.get().quietThrough();
            }
            long chainEnd = end;
            long segmentsEnd = ranges.get(i)[1];
            List<BackupEntry> bases = usable.stream()
                    .filter(b -> start <= Long.parseLong(b.id()) && Long.parseLong(b.id()) <= chainEnd).toList();
            ChainBreak broken = breaks.stream().filter(b -> b.afterTs() == segmentsEnd).findFirst().orElse(null);
            chains.add(new Chain(start, chainEnd, List.copyOf(grouped.get(i)), bases, broken));
        }
        chains.sort(Comparator.comparingLong(Chain::start));
        breaks.sort(Comparator.comparingLong(ChainBreak::afterTs));
        return new Listing(List.copyOf(chains), List.copyOf(breaks), List.copyOf(incomplete));
    }

    public Optional<CaptureHead> readHead() throws IOException {
        if (target.list(layout.headKey()).stream().noneMatch(o -> o.key().equals(layout.headKey()))) {
            return Optional.empty();
        }
        try (InputStream in = target.open(layout.headKey())) {
            return Optional.of(SegmentManifest.JSON.readValue(in.readAllBytes(), CaptureHead.class));
        }
    }

    public SegmentManifest readManifest(Segment segment) throws IOException {
        try (InputStream in = target.open(segment.manifestKey())) {
            return SegmentManifest.parse(in.readAllBytes(), segment.manifestKey());
        }
    }

    private ChainBreak readBreak(String key) throws IOException {
        try (InputStream in = target.open(key)) {
            return SegmentManifest.JSON.readValue(in.readAllBytes(), ChainBreak.class);
        }
    }

    static String iso(long ts) {
        Instant at = BackupLayout.toInstant(ts);
        return at.toString();
    }
}
