package dev.convexpipeline.pitr;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.convexpipeline.backup.BackupEntry;
import dev.convexpipeline.backup.BackupLayout;
import dev.convexpipeline.backup.BackupTarget;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;

/** The restorable windows of {@code backup list}: one per change chain that still has a base backup. */
public final class RestorableWindows {
    private RestorableWindows() {
    }

    /**
     * One chain as {@code backup list} shows it.
     *
     * @param from        first restorable instant (the chain's oldest base backup), ISO-8601
     * @param to          last restorable instant (every change up to it is captured), ISO-8601
     * @param fromTs      the same instants as snapshot timestamps (ns), for {@code restore --at}
     * @param toTs        see {@code fromTs}
     * @param bases       base backups in the chain
     * @param segments    change segments in the chain
     * @param brokenAfter when the chain broke (changes after it were lost), or null while it grows
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Window(String from, String to, long fromTs, long toTs, int bases, int segments, String brokenAfter) {
    }

    public static List<Window> of(BackupTarget target, BackupLayout layout, List<BackupEntry> backups) throws IOException {
        return new ChangeCatalog(target, new ChangeLayout(layout)).read(backups).chains().stream()
                .filter(ChangeCatalog.Chain::restorable)
                .map(c -> new Window(ChangeCatalog.iso(c.windowStart()), ChangeCatalog.iso(c.end()), c.windowStart(), c.end(),
                        c.bases().size(), c.segments().size(), c.broken() == null ? null : c.broken().afterTime()))
                .toList();
    }

    public static void print(PrintWriter out, List<Window> windows) {
        if (windows.isEmpty()) {
            out.println("No change log: each backup restores only its own snapshot time (point-in-time capture"
                    + " starts after the first backup while the pipeline runs)");
            return;
        }
        out.println("Restorable windows (restore --at any moment inside one):");
        for (Window w : windows) {
            out.printf("  %-30s .. %-30s  %d base(s), %d segment(s)%s%n", w.from(), w.to(), w.bases(), w.segments(),
                    w.brokenAfter() == null ? "" : "  BROKEN after " + w.brokenAfter() + ": later changes were lost");
        }
    }
}
