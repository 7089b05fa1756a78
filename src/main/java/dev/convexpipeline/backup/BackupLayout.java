package dev.convexpipeline.backup;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Object names of a backup below the target's prefix:
 * {@code <instance>/<yyyy>/<mm>/<dd>/snapshot-<ts>.zip} with {@code .manifest.json},
 * {@code .pin} (pinned: never pruned) and {@code .verified.json} (last verify result) beside it, or
 * {@code .interrupted.json} alone when shutdown cut the run off.
 * {@code <ts>} is the Convex snapshot timestamp in ns, the same number {@code npx convex export}
 * puts in its file name; the date folders are that instant in UTC.
 */
public final class BackupLayout {
    private static final Pattern KEY = Pattern.compile(
            "^(?<dir>[^/]+/\\d{4}/\\d{2}/\\d{2})/snapshot-(?<ts>\\d+)\\.(?<kind>zip|manifest\\.json|pin|verified\\.json|interrupted\\.json)$");

    /** {@code INTERRUPTED}: a run cut off by shutdown (its upload aborted); listed as incomplete, pruned like one. */
    public enum Kind { ZIP, MANIFEST, PIN, VERIFIED, INTERRUPTED }

    /** A listed key understood as part of a backup. */
    public record Parsed(String id, String directory, Kind kind) {
    }

    private final String instance;

    public BackupLayout(String instance) {
        this.instance = sanitize(instance);
    }

    /** Keeps instance names safe as a single path segment. */
    static String sanitize(String instance) {
        String safe = instance == null ? "" : instance.replaceAll("[^A-Za-z0-9._-]", "_");
        if (safe.isEmpty() || safe.equals(".") || safe.equals("..")) {
            throw new IllegalArgumentException("Instance name '" + instance + "' cannot name a backup folder");
        }
        return safe;
    }

    public String instance() {
        return instance;
    }

    /** Prefix under which every object of this instance lives. */
    public String instancePrefix() {
        return instance + "/";
    }

    public String directory(long snapshotTs) {
        ZonedDateTime at = toInstant(snapshotTs).atZone(ZoneOffset.UTC);
        return String.format("%s/%04d/%02d/%02d", instance, at.getYear(), at.getMonthValue(), at.getDayOfMonth());
    }

    public String zipName(long snapshotTs) {
        return "snapshot-" + snapshotTs + ".zip";
    }

    public String key(long snapshotTs, Kind kind) {
        String base = directory(snapshotTs) + "/snapshot-" + snapshotTs;
        return switch (kind) {
            case ZIP -> base + ".zip";
            case MANIFEST -> base + ".manifest.json";
            case PIN -> base + ".pin";
            case VERIFIED -> base + ".verified.json";
            case INTERRUPTED -> base + ".interrupted.json";
        };
    }

    public Optional<Parsed> parse(String key) {
        Matcher m = KEY.matcher(key);
        if (!m.matches() || !m.group("dir").startsWith(instance + "/")) {
            return Optional.empty();
        }
        Kind kind = switch (m.group("kind")) {
            case "zip" -> Kind.ZIP;
            case "manifest.json" -> Kind.MANIFEST;
            case "pin" -> Kind.PIN;
            case "interrupted.json" -> Kind.INTERRUPTED;
            default -> Kind.VERIFIED;
        };
        return Optional.of(new Parsed(m.group("ts"), m.group("dir"), kind));
    }

    public static Instant toInstant(long snapshotTs) {
        return Instant.ofEpochSecond(Math.floorDiv(snapshotTs, 1_000_000_000L), Math.floorMod(snapshotTs, 1_000_000_000L));
    }
}
