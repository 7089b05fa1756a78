package dev.convexpipeline.convex;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How {@link ConvexClient#exportSnapshot} takes a snapshot.
 *
 * @param includeStorage also export file-storage blobs
 * @param timeout        how long to wait for the server to finish writing the snapshot
 * @param pollInterval   longest pause between status polls
 * @param progress       receives the export's {@code progress_message} whenever it changes
 */
public record ExportOptions(boolean includeStorage, Duration timeout, Duration pollInterval, Consumer<String> progress) {
    public ExportOptions {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (progress == null) {
            progress = message -> { };
        }
    }

    /** Documents only, 30-minute timeout, polls at most a second apart. */
    public static ExportOptions defaults() {
        return new ExportOptions(false, Duration.ofMinutes(30), Duration.ofSeconds(1), null);
    }

    public ExportOptions withIncludeStorage(boolean include) {
        return new ExportOptions(include, timeout, pollInterval, progress);
    }

    public ExportOptions withTimeout(Duration wait) {
        return new ExportOptions(includeStorage, wait, pollInterval, progress);
    }

    public ExportOptions withPollInterval(Duration interval) {
        return new ExportOptions(includeStorage, timeout, interval, progress);
    }

    public ExportOptions withProgress(Consumer<String> listener) {
        return new ExportOptions(includeStorage, timeout, pollInterval, listener);
    }
}
