package dev.convexpipeline.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
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
 * migration, rewritten whole after each step.
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
                return Optional.of(read(object.key()));
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
                journals.add(read(object.key()));
            }
        }
        journals.sort(Comparator.comparing(MigrationJournal::createdAt).reversed());
        return journals;
    }

    /**
     * Reads one journal. Storage servers that rewrite an object in place (S3Proxy's file store) can
     * show a reader half of a journal being rewritten, so an unparsable read is tried again.
     */
    private MigrationJournal read(String key) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (InputStream in = target.open(key)) {
                return JSON.readValue(in.readAllBytes(), MigrationJournal.class);
            } catch (JsonProcessingException e) {
                if (attempt == 5) {
                    throw new IOException("Migration journal " + key + " in " + target.describe()
                            + " is not valid JSON: " + e.getOriginalMessage(), e);
                }
                try {
                    Thread.sleep(50L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted while reading " + key, interrupted);
                }
            }
        }
    }

    public String describe() {
        return target.describe();
    }
}
