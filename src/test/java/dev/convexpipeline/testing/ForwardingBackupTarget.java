package dev.convexpipeline.testing;

import dev.convexpipeline.backup.BackupTarget;
import dev.convexpipeline.backup.ObjectUpload;
import dev.convexpipeline.backup.StoredObject;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Storage that passes every call to another; a test overrides the one call it breaks (a lost manifest, a failing
 * abort). The interface's defaults stay the interface's, as in a target that does not override them.
 */
public abstract class ForwardingBackupTarget implements BackupTarget {
    protected final BackupTarget delegate;

    protected ForwardingBackupTarget(BackupTarget delegate) {
        this.delegate = delegate;
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public ObjectUpload beginUpload(String key, long expectedBytes) throws IOException {
        return delegate.beginUpload(key, expectedBytes);
    }

    @Override
    public void put(String key, byte[] content, String contentType) throws IOException {
        delegate.put(key, content, contentType);
    }

    @Override
    public InputStream open(String key) throws IOException {
        return delegate.open(key);
    }

    @Override
    public List<StoredObject> list(String prefix) throws IOException {
        return delegate.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
        delegate.delete(key);
    }
}
