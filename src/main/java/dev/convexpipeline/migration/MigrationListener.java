package dev.convexpipeline.migration;

/** Sees every change of a migration's journal (step, bytes sent, import state): the progress bar, the API status. */
@FunctionalInterface
public interface MigrationListener {
    MigrationListener NONE = journal -> { };

    void changed(MigrationJournal journal);
}
