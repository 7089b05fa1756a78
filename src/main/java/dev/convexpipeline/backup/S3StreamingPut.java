package dev.convexpipeline.backup;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writes an object whose length is known in advance (Convex announces the export's size) as one
 * streaming {@code PutObject}: the request starts at once with that {@code Content-Length} and
 * its body is fed, chunk by chunk, from what the writer writes. Used up to
 * {@code s3.single-put-max-mb} (default 5 GiB, S3's limit): S3Proxy stores a single PUT with about
 * half the CPU of the same bytes in parts (no part files, no concatenation on complete), which made
 * the backup 1.4–1.7× as fast on two cores (docs/backup-benchmark.md), and memory stays at a few MiB of
 * queued chunks whatever the object size.
 *
 * <p>Nothing becomes visible before {@link #complete()}: the body's last byte is held back until
 * then, so S3 never receives the full announced length of an object the caller has not accepted
 * (a ZIP the scanner rejected, a download shorter or longer than announced). {@link #abort()}
 * makes the body stream fail, which breaks the request off mid-body; S3 stores nothing for a PUT
 * whose body did not arrive whole. A single PUT has no per-part retry: a transfer error fails the
 * attempt, and {@link BackupService} streams the snapshot again; objects above
 * {@link S3Settings#singlePutMaxBytes()} go through {@link S3MultipartUpload}.
 */
final class S3StreamingPut extends ObjectUpload {
    /** Chunks queued between the writer and the HTTP request: 32 × 64 KiB at most. */
    private static final int QUEUED = 32;
    private static final int CHUNK = 64 * 1024;
    private static final byte[] END = new byte[0];

    private final S3Target target;
    private final String key;
    private final long length;
    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUED + 1);
    private final java.util.Queue<byte[]> free = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Body body = new Body();
    private final AtomicBoolean bodyOpened = new AtomicBoolean();
    private final Future<?> request;
    private byte[] pending = new byte[CHUNK];
    private int pendingLength;
    private long written;
    private volatile boolean aborted;
    private boolean finished;

    S3StreamingPut(S3Target target, String key, long length, ExecutorService executor) {
        this.target = target;
        this.key = key;
        this.length = length;
        PutObjectRequest.Builder put = PutObjectRequest.builder()
                .bucket(target.bucket()).key(target.objectKey(key)).contentType("application/zip")
                .contentLength(length)
                // One attempt: a streamed body cannot be sent twice, and the SDK's retry would only fail
                // on that, hiding the first attempt's cause (S3's refusal, the broken connection).
                .overrideConfiguration(o -> o.addPlugin(client -> client.overrideConfiguration(
                        c -> c.retryStrategy(retry -> retry.maxAttempts(1)))));
        target.applyEncryption(put);
        PutObjectRequest built = put.build();
        this.request = executor.submit(() -> {
            target.client().putObject(built, RequestBody.fromContentProvider(this::openBody, length, "application/zip"));
            return null;
        });
    }

    /** The body can be read once: a retry of a streamed body would resend bytes that are gone. */
    private InputStream openBody() {
        if (!bodyOpened.compareAndSet(false, true)) {
            throw new UncheckedIOException(new IOException("the first attempt failed and a streamed body"
                    + " cannot be resent; the backup fails and the next run starts over"));
        }
        return body;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int count) throws IOException {
        if (finished) {
            throw new IOException("Upload of " + target.uri(key) + " already ended");
        }
        if (written + count > length) {
            throw new IOException("the source sent more than the " + length + " bytes it announced");
        }
        long accepted = written;
        while (count > 0) {
            int n = Math.min(count, CHUNK - pendingLength);
            System.arraycopy(data, offset, pending, pendingLength, n);
            pendingLength += n;
            accepted += n;
            offset += n;
            count -= n;
            // A full chunk goes out unless it holds the object's last byte, which waits for complete().
            if (pendingLength == CHUNK && accepted < length) {
                flushPending();
            }
        }
        written = accepted;
    }

    private void flushPending() throws IOException {
        byte[] chunk = pendingLength == CHUNK ? pending : java.util.Arrays.copyOf(pending, pendingLength);
        offer(chunk);
        byte[] reused = free.poll();
        pending = reused != null ? reused : new byte[CHUNK];
        pendingLength = 0;
    }

    /** Waits for room in the queue, failing fast when the request already ended (S3 refused or the connection broke). */
    private void offer(byte[] chunk) throws IOException {
        try {
            while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
                if (request.isDone()) {
                    awaitRequest();
                    throw new IOException("S3 PutObject to " + target.uri(key) + " ended before its body was sent");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while uploading " + target.uri(key), e);
        }
    }

    @Override
    public void complete() throws IOException {
        if (finished) {
            throw new IOException("Upload of " + target.uri(key) + " already ended");
        }
        try {
            if (written != length) {
                throw new IOException("the source announced " + length + " bytes but sent " + written);
            }
            if (pendingLength > 0) {
                flushPending();
            }
            offer(END);
            awaitRequest();
            finished = true;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    private void awaitRequest() throws IOException {
        try {
            request.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while uploading " + target.uri(key), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof SdkException || cause instanceof UncheckedIOException
                    ? target.failure("PutObject", key, cause)
                    : new IOException("S3 PutObject to " + target.uri(key) + " failed: " + cause, cause);
        }
    }

    @Override
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        aborted = true;
        queue.clear();
        queue.offer(END);
        try {
            // The body stream now fails, which ends the request without its last bytes.
            request.get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            request.cancel(true);
        } catch (ExecutionException expected) {
            // the request failed, as it must
        } catch (TimeoutException e) {
            request.cancel(true);
        }
        pending = null;
    }

    /** The request body: the queued chunks, failing instead of ending when the upload is aborted. */
    private final class Body extends InputStream {
        private byte[] chunk;
        private int position;

        private boolean next() throws IOException {
            if (chunk == END) {
                return false;
            }
            if (chunk != null && chunk.length == CHUNK) {
                free.offer(chunk);
            }
            try {
                byte[] taken;
                do {
                    taken = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (aborted) {
                        throw new IOException("upload of " + target.uri(key) + " aborted");
                    }
                } while (taken == null);
                chunk = taken;
                position = 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while uploading " + target.uri(key), e);
            }
            return chunk != END;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (chunk == null || chunk != END && position >= chunk.length) {
                if (!next()) {
                    break;
                }
            }
            if (aborted) {
                throw new IOException("upload of " + target.uri(key) + " aborted");
            }
            if (chunk == END) {
                return -1;
            }
            int n = Math.min(len, chunk.length - position);
            System.arraycopy(chunk, position, b, off, n);
            position += n;
            return n;
        }
    }
}
