package dev.convexpipeline.emulator.snapshot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The confirmation text shown before an import runs (confirmation.rs, table_change.rs). */
final class ImportSummary {
    private ImportSummary() {
    }

    record TableChange(String table, long added, long deleted, long existing) {
    }

    static String render(List<TableChange> changes) {
        List<String> lines = new ArrayList<>();
        if (!changes.isEmpty()) {
            lines.add("Import change summary:");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[]{"table", "create", "delete"});
            for (TableChange change : changes) {
                rows.add(new String[]{change.table(), commas(change.added()),
                        commas(change.deleted()) + " of " + commas(change.existing())
                        + (change.table().equals("_storage") ? " files" : "")});
            }
            int[] widths = new int[3];
            for (String[] row : rows) {
                for (int i = 0; i < 3; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (int r = 0; r < rows.size(); r++) {
                String[] row = rows.get(r);
                lines.add(pad(row[0], widths[0]) + " | " + pad(row[1], widths[1]) + " | " + pad(row[2], widths[2]) + " |");
                if (r == 0) {
                    lines.add("-".repeat(widths[0] + 3 + widths[1] + 3 + widths[2] + 2));
                }
            }
        }
        lines.add("Once the import has started, it will run in the background.\n"
                + "Interrupting `npx convex import` will not cancel it.");
        return String.join("\n", lines);
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(width - text.length());
    }

    private static String commas(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }
}
