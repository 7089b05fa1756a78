package dev.convexpipeline.emulator.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The emulator's database: a chain of immutable {@link DatabaseSnapshot}s, one per commit.
 * Writers take a single fair lock (serializable by construction); readers use any published
 * snapshot without locking, which gives queries and {@code list_snapshot} a consistent view.
 */
public final class DocumentStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DocumentStore.class);
    /** Recent snapshots kept for reads at a past timestamp (query_at_ts, list_snapshot paging). */
    private static final int RETAINED_SNAPSHOTS = 512;

    private final ReentrantLock writerLock = new ReentrantLock(true);
    private final ConcurrentSkipListMap<Long, DatabaseSnapshot> history = new ConcurrentSkipListMap<>();
    private final Map<Long, DatabaseSnapshot> pinned = new ConcurrentSkipListMap<>();
    private final List<Consumer<DatabaseSnapshot>> commitListeners = new CopyOnWriteArrayList<>();
    private final Journal journal;
    private volatile DatabaseSnapshot latest;
    private long lastTimestamp;
    private long lastCreationMicros;

    /** An in-memory store, or one persisted in {@code dataDirectory} when present. */
    public DocumentStore(Optional<Path> dataDirectory) {
        Map<String, StoredTable> tables = new HashMap<>();
        long restoredTimestamp = 0;
        if (dataDirectory.isPresent()) {
            try {
                journal = Journal.openAndReplay(dataDirectory.get().resolve("journal.jsonl"), tables);
            } catch (IOException e) {
                throw new UncheckedIOException("Could not open the emulator journal in " + dataDirectory.get()
                        + ": " + e.getMessage() + " — check the directory is writable", e);
            }
            restoredTimestamp = journal.lastTimestamp();
            tables.values().forEach(table -> table.documents().values().forEach(doc ->
                    observeCreationTime(doc.path(Transaction.CREATION_TIME_FIELD).asDouble())));
        } else {
            journal = null;
        }
        lastTimestamp = Math.max(restoredTimestamp, nowNanos());
        latest = new DatabaseSnapshot(lastTimestamp, tables);
        history.put(lastTimestamp, latest);
    }

    public DatabaseSnapshot latest() {
        return latest;
    }

    /** The snapshot that was current at {@code timestamp}, if still retained. */
    public Optional<DatabaseSnapshot> at(long timestamp) {
        DatabaseSnapshot pinnedSnapshot = pinned.get(timestamp);
        if (pinnedSnapshot != null) {
            return Optional.of(pinnedSnapshot);
        }
        Map.Entry<Long, DatabaseSnapshot> entry = history.floorEntry(timestamp);
        if (entry == null || timestamp > latest.timestamp()) {
            return Optional.empty();
        }
        return Optional.of(entry.getValue());
    }

    /** Keeps a snapshot readable beyond the normal retention (a paging client is still reading it). */
    public void pin(DatabaseSnapshot snapshot) {
        pinned.put(snapshot.timestamp(), snapshot);
        while (pinned.size() > 16) {
            pinned.remove(((ConcurrentSkipListMap<Long, DatabaseSnapshot>) pinned).firstKey());
        }
    }

    /** Result of a committed write: what the body returned and the commit timestamp (ns). */
    public record Committed<T>(T result, long timestamp) {
    }

    /**
     * Runs {@code body} as the only writer. If it throws, nothing is committed. A body that
     * writes nothing commits nothing and reports the snapshot it read.
     */
    public <T> Committed<T> write(Function<Transaction, T> body) {
        DatabaseSnapshot committed;
        T result;
        writerLock.lock();
        try {
            Transaction transaction = new Transaction(this, latest);
            result = body.apply(transaction);
            if (!transaction.hasWrites()) {
                return new Committed<>(result, transaction.base().timestamp());
            }
            long timestamp = nextTimestamp();
            if (journal != null) {
                journal.append(timestamp, transaction.ops());
            }
            committed = new DatabaseSnapshot(timestamp, transaction.workingTables());
            latest = committed;
            history.put(timestamp, committed);
            while (history.size() > RETAINED_SNAPSHOTS) {
                history.pollFirstEntry();
            }
        } finally {
            writerLock.unlock();
        }
        for (Consumer<DatabaseSnapshot> listener : commitListeners) {
            try {
                listener.accept(committed);
            } catch (RuntimeException e) {
                LOG.warn("Commit listener failed: {}", e.toString());
            }
        }
        return new Committed<>(result, committed.timestamp());
    }

    /** Called after every commit with the new snapshot; returns a handle that unsubscribes. */
    public Runnable onCommit(Consumer<DatabaseSnapshot> listener) {
        commitListeners.add(listener);
        return () -> commitListeners.remove(listener);
    }

    /** Strictly increasing float64 milliseconds with microsecond resolution, like Convex's creation times. */
    double nextCreationTime() {
        long micros = Math.max(nowNanos() / 1000, lastCreationMicros + 1);
        lastCreationMicros = micros;
        return micros / 1000.0;
    }

    void observeCreationTime(double creationTimeMillis) {
        long micros = (long) Math.ceil(creationTimeMillis * 1000);
        if (micros > lastCreationMicros) {
            lastCreationMicros = micros;
        }
    }

    private long nextTimestamp() {
        lastTimestamp = Math.max(lastTimestamp + 1, nowNanos());
        return lastTimestamp;
    }

    private static long nowNanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public void close() {
        if (journal != null) {
            journal.close();
        }
    }
}
