package dev.convexpipeline.migration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.StoredObject;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Migration journals in the backup storage: {@code migrations/<id>.json}, one small object per
 * migration, rewritten whole after each step (a put is visible whole or not at all).
 */
public final class MigrationJournalStore {
    static final String PREFIX = "migrations/";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final BackupTarget target;

    public MigrationJournalStore(BackupTarget target) {
        this.target = target;
    }

    public void save(MigrationJournal journal) throws IOException {
        target.put(PREFIX + journal.id() + ".json", JSON.writeValueAsBytes(journal), "application/json");
    }

    public Optional<MigrationJournal> find(String id) throws IOException {
        if (id == null || !id.matches("[A-Za-z0-9._-]+")) {
            return Optional.empty();
        }
        for (StoredObject object : target.list(PREFIX + id + ".json")) {
            if (object.key().equals(PREFIX + id + ".json")) {
                try (InputStream in = target.open(object.key())) {
                    return Optional.of(JSON.readValue(in.readAllBytes(), MigrationJournal.class));
                }
            }
        }
        return Optional.empty();
    }

    public MigrationJournal get(String id) throws IOException {
        return find(id).orElseThrow(() -> new MigrationRefusedException("No migration " + id + " in "
                + target.describe() + "; `migrate list` shows the ids"));
    }

    /** Every journal, newest first. */
    public List<MigrationJournal> list() throws IOException {
        List<MigrationJournal> journals = new ArrayList<>();
        for (StoredObject object : target.list(PREFIX)) {
            if (object.key().endsWith(".json")) {
                try (InputStream in = target.open(object.key())) {
                    journals.add(JSON.readValue(in.readAllBytes(), MigrationJournal.class));
                }
            }
        }
        journals.sort(Comparator.comparing(MigrationJournal::createdAt).reversed());
        return journals;
    }

    public String describe() {
        return target.describe();
    }
}
