package dev.convexpipeline.pitr;

import dev.convexpipeline.backup.BackupLayout;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Object names of the change log, beside the backups of the same instance:
 * <ul>
 *   <li>{@code <instance>/changes/<yyyy>/<mm>/<dd>/changes-<fromTs>-<toTs>.jsonl.gz}: a segment, every
 *       change committed in ({@code fromTs}, {@code toTs}]; the date folders are {@code fromTs} in UTC;</li>
 *   <li>the same name ending {@code .manifest.json}: written last; a segment without it does not exist;</li>
 *   <li>{@code <instance>/changes/breaks/break-<ts>.json}: the deployment no longer had the changes after
 *       {@code ts}; the chain ending there cannot be continued;</li>
 *   <li>{@code <instance>/changes/head.json}: where the capturer got to (a hint that saves a listing;
 *       the manifests are the truth).</li>
 * </ul>
 */
public final class ChangeLayout {
    private static final Pattern SEGMENT = Pattern.compile(
            "^(?<dir>[^/]+/changes/\\d{4}/\\d{2}/\\d{2})/changes-(?<from>\\d+)-(?<to>\\d+)\\.(?<kind>jsonl\\.gz|manifest\\.json)$");
    private static final Pattern BREAK = Pattern.compile("^[^/]+/changes/breaks/break-(?<ts>\\d+)\\.json$");

    public enum Kind { SEGMENT, MANIFEST }

    /** A listed key understood as part of a segment. */
    public record Parsed(long fromTs, long toTs, Kind kind) {
    }

    private final String instance;

    public ChangeLayout(BackupLayout backups) {
        this.instance = backups.instance();
    }

    public String instance() {
        return instance;
    }

    public String prefix() {
        return instance + "/changes/";
    }

    public String breaksPrefix() {
        return prefix() + "breaks/";
    }

    public String headKey() {
        return prefix() + "head.json";
    }

    /** Prefix of every object of the segment that starts at {@code fromTs}, whatever its end. */
    public String segmentsFrom(long fromTs) {
        return directory(fromTs) + "/changes-" + fromTs + "-";
    }

    public String key(long fromTs, long toTs, Kind kind) {
        return segmentsFrom(fromTs) + toTs + (kind == Kind.SEGMENT ? ".jsonl.gz" : ".manifest.json");
    }

    public String segmentName(long fromTs, long toTs) {
        return "changes-" + fromTs + "-" + toTs + ".jsonl.gz";
    }

    public String breakKey(long ts) {
        return breaksPrefix() + "break-" + ts + ".json";
    }

    public Optional<Parsed> parse(String key) {
        Matcher m = SEGMENT.matcher(key);
        if (!m.matches() || !m.group("dir").startsWith(instance + "/")) {
            return Optional.empty();
        }
        return Optional.of(new Parsed(Long.parseLong(m.group("from")), Long.parseLong(m.group("to")),
                m.group("kind").equals("jsonl.gz") ? Kind.SEGMENT : Kind.MANIFEST));
    }

    public Optional<Long> parseBreak(String key) {
        Matcher m = BREAK.matcher(key);
        return m.matches() && key.startsWith(breaksPrefix()) ? Optional.of(Long.parseLong(m.group("ts"))) : Optional.empty();
    }

    private String directory(long ts) {
        ZonedDateTime at = BackupLayout.toInstant(ts).atZone(ZoneOffset.UTC);
        return String.format("%s/changes/%04d/%02d/%02d", instance, at.getYear(), at.getMonthValue(), at.getDayOfMonth());
    }
}
