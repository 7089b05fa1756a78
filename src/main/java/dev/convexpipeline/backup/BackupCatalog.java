package dev.convexpipeline.backup;

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
 * The list of backups, read from the storage itself (no local database): an object listing under
 * the instance's prefix, grouped by snapshot timestamp, plus each manifest. A ZIP without a
 * manifest is not a backup; it is reported separately as incomplete, for pruning.
 */
public final class BackupCatalog {
    private final BackupTarget target;
    private final BackupLayout layout;

    /** @param backups newest first; @param incomplete ZIPs without a manifest, and markers of runs shutdown interrupted */
    public record Listing(List<BackupEntry> backups, List<StoredObject> incomplete) {
        public Optional<BackupEntry> newest() {
            return backups.stream().findFirst();
        }
    }

    public BackupCatalog(BackupTarget target, BackupLayout layout) {
        this.target = target;
        this.layout = layout;
    }

    public Listing read() throws IOException {
        Map<String, Map<BackupLayout.Kind, StoredObject>> byId = new HashMap<>();
        for (StoredObject object : target.list(layout.instancePrefix())) {
            layout.parse(object.key()).ifPresent(parsed ->
                    byId.computeIfAbsent(parsed.id(), id -> new HashMap<>()).put(parsed.kind(), object));
        }
        List<BackupEntry> backups = new ArrayList<>();
        List<StoredObject> incomplete = new ArrayList<>();
        for (Map.Entry<String, Map<BackupLayout.Kind, StoredObject>> group : byId.entrySet()) {
            Map<BackupLayout.Kind, StoredObject> objects = group.getValue();
            StoredObject manifestObject = objects.get(BackupLayout.Kind.MANIFEST);
            StoredObject zip = objects.get(BackupLayout.Kind.ZIP);
            if (manifestObject == null) {
                if (zip != null) {
                    incomplete.add(zip);
                }
                StoredObject interrupted = objects.get(BackupLayout.Kind.INTERRUPTED);
                if (interrupted != null) {
                    incomplete.add(interrupted);
                }
                continue;
            }
            backups.add(entry(group.getKey(), objects));
        }
        backups.sort(Comparator.comparing(BackupEntry::snapshotTime).reversed());
        return new Listing(List.copyOf(backups), List.copyOf(incomplete));
    }

    /** Finds {@code latest} or an exact id. */
    public Optional<BackupEntry> find(String idOrLatest) throws IOException {
        Listing listing = read();
        if ("latest".equals(idOrLatest)) {
            return listing.newest();
        }
        return listing.backups().stream().filter(b -> b.id().equals(idOrLatest)).findFirst();
    }

    private BackupEntry entry(String id, Map<BackupLayout.Kind, StoredObject> objects) {
        long ts = Long.parseLong(id);
        Instant at = BackupLayout.toInstant(ts);
        String manifestKey = objects.get(BackupLayout.Kind.MANIFEST).key();
        BackupManifest manifest = null;
        String problem = null;
        try (InputStream in = target.open(manifestKey)) {
            manifest = BackupManifest.parse(in.readAllBytes(), manifestKey);
        } catch (IOException e) {
            problem = e.getMessage();
        }
        BackupEntry.Verification verification = null;
        StoredObject verified = objects.get(BackupLayout.Kind.VERIFIED);
        if (verified != null) {
            try (InputStream in = target.open(verified.key())) {
                verification = BackupManifest.JSON.readValue(in.readAllBytes(), BackupEntry.Verification.class);
            } catch (IOException e) {
                verification = new BackupEntry.Verification(null, false, "verification marker unreadable: " + e.getMessage());
            }
        }
        return new BackupEntry(id, at, layout.key(ts, BackupLayout.Kind.ZIP), manifestKey,
                objects.containsKey(BackupLayout.Kind.ZIP), manifest, objects.containsKey(BackupLayout.Kind.PIN),
                verification, problem);
    }
}
