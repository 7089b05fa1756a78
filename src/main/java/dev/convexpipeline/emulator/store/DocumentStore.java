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
    /**
     * Old snapshots share structure with newer ones; what each keeps alive is about the entries its
     * commit replaced. Stop retaining them once that adds up to this many (a huge import is one).
     */
    private static final long RETAINED_ENTRY_BUDGET = 2_000_000;
    private final Map<Long, Long> retainedEntries = new HashMap<>();
    private long retainedEntryTotal;

    /**
     * Not fair: a fair lock hands over to the longest waiter, which must first be scheduled, so
     * under load every commit paid a context switch; barging lets a running writer go on. Writers
     * still queue (no starvation in practice) and mutations stay serializable.
     */
    private final ReentrantLock writerLock = new ReentrantLock(false);
    private final ConcurrentSkipListMap<Long, DatabaseSnapshot> history = new ConcurrentSkipListMap<>();
    private final Map<Long, DatabaseSnapshot> pinned = new ConcurrentSkipListMap<>();
    private final List<Consumer<DatabaseSnapshot>> commitListeners = new CopyOnWriteArrayList<>();
    /** Changes to user tables per commit, for document_deltas; only commits after {@code changeLogStart}. */
    private final ConcurrentSkipListMap<Long, List<DocumentChange>> changeLog = new ConcurrentSkipListMap<>();
    private static final int RETAINED_CHANGE_COMMITS = 50_000;
    private volatile long changeLogStart;
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
        changeLogStart = lastTimestamp;
    }

    /**
     * User-table changes of the commits in ({@code afterTimestamp}, {@code upToTimestamp}], oldest
     * first; empty when {@code afterTimestamp} predates what this process remembers.
     */
    public Optional<java.util.NavigableMap<Long, List<DocumentChange>>> changes(long afterTimestamp, long upToTimestamp) {
        if (afterTimestamp < changeLogStart) {
            return Optional.empty();
        }
        return Optional.of(changeLog.subMap(afterTimestamp, false, upToTimestamp, true));
    }

    /**
     * Forgets the changes committed at or before {@code timestamp}, as a Convex deployment does
     * once they pass its retention: a {@code document_deltas} cursor older than that then answers
     * {@code OutOfRetention}. Tests use it to produce a gap in a change capture.
     */
    public void forgetChangesThrough(long timestamp) {
        writerLock.lock();
        try {
            changeLog.headMap(timestamp, true).clear();
            changeLogStart = Math.max(changeLogStart, Math.min(timestamp, latest.timestamp()));
        } finally {
            writerLock.unlock();
        }
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
            for (JournalOp op : transaction.ops()) {
                if (op instanceof JournalOp.Put put && transaction.workingTables().containsKey(put.table())) {
                    transaction.workingTables().get(put.table()).markWritten(put.internalIdHex(), timestamp);
                }
            }
            if (journal != null) {
                journal.append(timestamp, transaction.ops());
            }
            List<DocumentChange> changes = ChangeSummary.of(transaction);
            if (!changes.isEmpty()) {
                changeLog.put(timestamp, changes);
                while (changeLog.size() > RETAINED_CHANGE_COMMITS) {
                    changeLogStart = changeLog.pollFirstEntry().getKey();
                }
            }
            committed = new DatabaseSnapshot(timestamp, transaction.workingTables());
            latest = committed;
            history.put(timestamp, committed);
            long cost = transaction.retainedCost();
            retainedEntries.put(timestamp, cost);
            retainedEntryTotal += cost;
            while (history.size() > 1 && (history.size() > RETAINED_SNAPSHOTS || retainedEntryTotal > RETAINED_ENTRY_BUDGET)) {
                Long evicted = history.pollFirstEntry().getKey();
                retainedEntryTotal -= retainedEntries.getOrDefault(evicted, 0L);
                retainedEntries.remove(evicted);
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
