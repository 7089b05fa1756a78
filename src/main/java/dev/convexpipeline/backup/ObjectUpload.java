package dev.convexpipeline.backup;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A large object being written as a stream. Exactly one of {@link #complete()} or {@link #abort()}
 * ends it; until {@code complete()} returns, readers of the target do not see the object.
 */
public abstract class ObjectUpload extends OutputStream {

    /** Makes the object visible under its key, whole. */
    public abstract void complete() throws IOException;

    /** Discards everything written; never throws (a failure is logged), safe to call more than once. */
    public abstract void abort();

    /** After {@link #abort()}: false when something written may remain in the target (its removal failed). */
    public boolean leftNothing() {
        return true;
    }

    /** Closing without {@link #complete()} aborts: a half-written object must never become visible. */
    @Override
    public void close() {
        abort();
    }
}
