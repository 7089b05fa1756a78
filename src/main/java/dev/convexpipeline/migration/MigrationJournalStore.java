package dev.convexpipeline.migration;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.StoredObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
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
        try {
            return Optional.of(read(PREFIX + id + ".json"));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
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
     * Reads one journal. A journal is rewritten after every step while the admin API reads it, and
     * some S3 servers (S3Proxy) answer such a read with a half-written body or an error: a failed read
     * is tried again. A journal that is not there is not.
     */
    private MigrationJournal read(String key) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (InputStream in = target.open(key)) {
                return JSON.readValue(in.readAllBytes(), MigrationJournal.class);
            } catch (NoSuchFileException e) {
                throw e;
            } catch (IOException e) {
                if (attempt == 5) {
                    throw e instanceof JsonProcessingException json
                            ? new IOException("Migration journal " + key + " in " + target.describe()
                                    + " is not valid JSON: " + json.getOriginalMessage(), e)
                            : e;
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
