package dev.convexpipeline.backup;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

/**
 * Hands chunks from the reading thread to the parser thread: a bounded queue (back-pressure, so
 * memory stays at {@value SnapshotScanner#QUEUED_CHUNKS} chunks) read as an {@link InputStream} by the ZIP parser.
 * Once the parser stops reading (end of ZIP, or a broken one), further chunks are dropped.
 */
final class ChunkPipe extends InputStream {
    private static final byte[] END = new byte[0];
    private final ArrayBlockingQueue<byte[]> full = new ArrayBlockingQueue<>(SnapshotScanner.QUEUED_CHUNKS + 1);
    private final ArrayBlockingQueue<Integer> lengths = new ArrayBlockingQueue<>(SnapshotScanner.QUEUED_CHUNKS + 1);
    private final ConcurrentLinkedQueue<byte[]> empty = new ConcurrentLinkedQueue<>();
    private volatile boolean readerDone;
    private volatile boolean aborted;
    private volatile Exception failure;
    /** Longest wait for the next chunk before giving up, or null to wait as long as it takes. */
    private final Duration stallTimeout;
    /** Why the reader must stop now (e.g. the pipeline is shutting down), or null while it may go on. */
    private final Supplier<String> stopReason;
    private byte[] chunk;
    private int length;
    private int position;

    ChunkPipe() {
        this(null, () -> null);
    }

    ChunkPipe(Duration stallTimeout, Supplier<String> stopReason) {
        this.stallTimeout = stallTimeout;
        this.stopReason = stopReason;
    }

    /** Whether the consumer needs no more chunks. */
    boolean consumerGone() {
        return readerDone;
    }

    /** Whether the producing side ended by failing rather than at the end of its input. */
    boolean producerFailed() {
        return aborted;
    }

    /** The producing thread failed; the consumer gets this as the cause once it reaches the end. */
    void fail(Exception cause) {
        failure = cause;
    }

    byte[] emptyChunk() {
        byte[] free = empty.poll();
        return free != null ? free : new byte[SnapshotScanner.CHUNK];
    }

    void recycle(byte[] used) {
        if (used != END) {
            empty.offer(used);
        }
    }

    /** Called by the reading thread; waits while the parser is behind. */
    void send(byte[] data, int n) throws IOException {
        if (readerDone) {
            recycle(data);
            return;
        }
        put(data, n);
    }

    private void put(byte[] data, int n) throws IOException {
        try {
            synchronized (this) {
                while (!readerDone && full.remainingCapacity() == 0) {
                    wait(100);
                }
                if (readerDone) {
                    recycle(data);
                    return;
                }
                lengths.add(n);
                full.add(data);
                notifyAll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while handing the snapshot to the ZIP parser", e);
        }
    }

    /** End of input; {@code abort} when the reading thread failed and the parser must stop too. */
    void close(boolean abort) throws IOException {
        aborted = abort;
        synchronized (this) {
            if (!readerDone) {
                while (full.remainingCapacity() == 0 && !readerDone) {
                    try {
                        wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                if (!readerDone) {
                    lengths.add(0);
                    full.add(END);
                    notifyAll();
                }
            }
        }
    }

    /** Called by the parser when it needs no more bytes. */
    void finishReading() {
        synchronized (this) {
            readerDone = true;
            full.clear();
            lengths.clear();
            notifyAll();
        }
    }

    private void throwIfStopped() throws IOException {
        String stop = stopReason.get();
        if (stop != null) {
            throw new IOException(stop);
        }
    }

    private boolean next() throws IOException {
        throwIfStopped();
        if (chunk == END) {
            return false;
        }
        if (chunk != null) {
            recycle(chunk);
            chunk = null;
        }
        try {
            synchronized (this) {
                long waitingSince = System.nanoTime();
                while (full.isEmpty()) {
                    wait(100);
                    throwIfStopped();
                    if (stallTimeout != null && System.nanoTime() - waitingSince > stallTimeout.toNanos()) {
                        throw new IOException("no data arrived for " + stallTimeout.toSeconds()
                                + " s: the download stalled (backup.stall-timeout)");
                    }
                }
                chunk = full.poll();
                length = lengths.poll();
                position = 0;
                notifyAll();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while parsing the snapshot ZIP", e);
        }
        if (chunk == END && aborted) {
            Exception cause = failure;
            throw cause == null ? new IOException("reading the snapshot stopped")
                    : new IOException(cause.getMessage(), cause);
        }
        return chunk != END;
    }

    @Override
    public int read() throws IOException {
        while (chunk == null || position >= length) {
            if (!next()) {
                return -1;
            }
        }
        return chunk[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (chunk == null || position >= length) {
            if (!next()) {
                return -1;
            }
        }
        int n = Math.min(len, length - position);
        System.arraycopy(chunk, position, b, off, n);
        position += n;
        return n;
    }

    @Override
    public int available() {
        return chunk == null || chunk == END ? 0 : length - position;
    }
}
