package dev.convexpipeline.backup;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes a stream of unknown length to one S3 object with the SDK's multipart API
 * (create / uploadPart / complete / abort), used directly because camel-aws2-s3's producer needs
 * the length up front or copies the whole stream into a {@code byte[]} (docs/camel-notes.md), and the
 * SDK's transfer manager needs the async CRT or Netty client for streams of unknown length.
 *
 * <p>Memory is bounded: at most {@code partsInFlight + 1} part buffers exist (one being filled,
 * the others uploading on the shared part threads); a writer waits for a free buffer. The upload
 * is created lazily, so an object smaller than one part is a single {@code PutObject}. Any
 * failure aborts the multipart upload, so S3 never shows a partial object.
 */
final class S3MultipartUpload extends ObjectUpload {
    private static final Logger LOG = LoggerFactory.getLogger(S3MultipartUpload.class);
    private static final int MAX_PARTS = 10_000;

    private final S3Target target;
    private final String key;
    private final int partSize;
    private final ExecutorService executor;
    private final BlockingQueue<byte[]> freeBuffers;
    private final List<Future<CompletedPart>> parts = new ArrayList<>();
    private final AtomicReference<Throwable> partFailure = new AtomicReference<>();
    private int buffersAllocated;
    private final int maxBuffers;
    private byte[] current;
    private int filled;
    private String uploadId;
    private boolean finished;
    private volatile boolean abortFailed;

    S3MultipartUpload(S3Target target, String key, int partSize, ExecutorService executor) {
        this.target = target;
        this.key = key;
        this.partSize = partSize;
        this.executor = executor;
        this.maxBuffers = target.settings().partsInFlight() + 1;
        this.freeBuffers = new ArrayBlockingQueue<>(maxBuffers);
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] data, int offset, int length) throws IOException {
        ensureWritable();
        while (length > 0) {
            if (current == null) {
                current = nextBuffer();
                filled = 0;
            }
            int n = Math.min(length, partSize - filled);
            System.arraycopy(data, offset, current, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == partSize) {
                submitPart();
            }
        }
    }

    private void ensureWritable() throws IOException {
        if (finished) {
            throw new IOException("Upload of " + target.uri(key) + " already ended");
        }
        rethrowPartFailure();
    }

    private void rethrowPartFailure() throws IOException {
        Throwable failure = partFailure.get();
        if (failure != null) {
            throw failure instanceof IOException io ? io : target.failure("UploadPart", key, failure);
        }
    }

    /** Waits for a free buffer, failing fast when a part upload failed meanwhile. */
    private byte[] nextBuffer() throws IOException {
        byte[] buffer = freeBuffers.poll();
        if (buffer != null) {
            return buffer;
        }
        if (buffersAllocated < maxBuffers) {
            buffersAllocated++;
            return new byte[partSize];
        }
        try {
            while (true) {
                buffer = freeBuffers.poll(100, TimeUnit.MILLISECONDS);
                if (buffer != null) {
                    return buffer;
                }
                rethrowPartFailure();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while uploading " + target.uri(key), e);
        }
    }

    private void submitPart() throws IOException {
        if (uploadId == null) {
            uploadId = createUpload();
        }
        int partNumber = parts.size() + 1;
        if (partNumber > MAX_PARTS) {
            throw new IOException("Object " + target.uri(key) + " needs more than " + MAX_PARTS + " parts of "
                    + partSize + " bytes; raise s3.part-size-mb (S3_PART_SIZE_MB)");
        }
        byte[] buffer = current;
        int length = filled;
        current = null;
        filled = 0;
        parts.add(executor.submit(() -> uploadPart(partNumber, buffer, length)));
    }

    private String createUpload() throws IOException {
        CreateMultipartUploadRequest.Builder request = CreateMultipartUploadRequest.builder()
                .bucket(target.bucket()).key(target.objectKey(key)).contentType("application/zip");
        S3Settings settings = target.settings();
        if (settings.sse() != null) {
            request.serverSideEncryption(ServerSideEncryption.fromValue(settings.sse()));
            if (settings.kmsKeyId() != null) {
                request.ssekmsKeyId(settings.kmsKeyId());
            }
        }
        try {
            return target.client().createMultipartUpload(request.build()).uploadId();
        } catch (SdkException e) {
            throw target.failure("CreateMultipartUpload", key, e);
        }
    }

    private CompletedPart uploadPart(int partNumber, byte[] buffer, int length) {
        try {
            if (partFailure.get() != null) {
                throw new IllegalStateException("an earlier part failed");
            }
            UploadPartRequest request = UploadPartRequest.builder()
                    .bucket(target.bucket()).key(target.objectKey(key)).uploadId(uploadId)
                    .partNumber(partNumber).contentLength((long) length).build();
            // A fresh stream over the same buffer per attempt, so SDK retries resend the part without a copy.
            String eTag = target.client().uploadPart(request, RequestBody.fromContentProvider(
                    () -> new ByteArrayInputStream(buffer, 0, length), length, "application/octet-stream")).eTag();
            return CompletedPart.builder().partNumber(partNumber).eTag(eTag).build();
        } catch (RuntimeException e) {
            partFailure.compareAndSet(null, target.failure("UploadPart (part " + partNumber + ")", key, e));
            throw e;
        } finally {
            freeBuffers.offer(buffer);
        }
    }

    @Override
    public void complete() throws IOException {
        ensureWritable();
        try {
            if (uploadId == null) {
                putWhole();
            } else {
                if (filled > 0) {
                    submitPart();
                }
                List<CompletedPart> completed = new ArrayList<>(parts.size());
                for (Future<CompletedPart> part : parts) {
                    completed.add(await(part));
                }
                completed.sort(Comparator.comparingInt(CompletedPart::partNumber));
                try {
                    target.client().completeMultipartUpload(CompleteMultipartUploadRequest.builder()
                            .bucket(target.bucket()).key(target.objectKey(key)).uploadId(uploadId)
                            .multipartUpload(CompletedMultipartUpload.builder().parts(completed).build()).build());
                } catch (SdkException e) {
                    throw target.failure("CompleteMultipartUpload", key, e);
                }
            }
            finished = true;
            release();
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    private void putWhole() throws IOException {
        byte[] content = current == null ? new byte[0] : current;
        int length = filled;
        PutObjectRequest.Builder request = PutObjectRequest.builder()
                .bucket(target.bucket()).key(target.objectKey(key)).contentType("application/zip")
                .contentLength((long) length);
        target.applyEncryption(request);
        try {
            target.client().putObject(request.build(), RequestBody.fromContentProvider(
                    () -> new ByteArrayInputStream(content, 0, length), length, "application/zip"));
        } catch (SdkException e) {
            throw target.failure("PutObject", key, e);
        }
    }

    private CompletedPart await(Future<CompletedPart> part) throws IOException {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while uploading " + target.uri(key), e);
        } catch (java.util.concurrent.ExecutionException e) {
            rethrowPartFailure();
            throw target.failure("UploadPart", key, e.getCause());
        }
    }

    @Override
    public boolean leftNothing() {
        return !abortFailed;
    }

    @Override
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        partFailure.compareAndSet(null, new IOException("upload aborted"));
        for (Future<CompletedPart> part : parts) {
            try {
                // Let running parts end first: S3 may otherwise keep a part uploaded after the abort.
                part.get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                part.cancel(true);
            }
        }
        if (uploadId != null) {
            try {
                target.client().abortMultipartUpload(AbortMultipartUploadRequest.builder()
                        .bucket(target.bucket()).key(target.objectKey(key)).uploadId(uploadId).build());
            } catch (SdkException e) {
                abortFailed = true;
                LOG.warn("Could not abort multipart upload {} of {}: {} (a bucket lifecycle rule"
                        + " AbortIncompleteMultipartUpload removes it later)", uploadId, target.uri(key), e.getMessage());
            }
        }
        release();
    }

    private void release() {
        current = null;
        freeBuffers.clear();
    }
}
