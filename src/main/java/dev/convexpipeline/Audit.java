package dev.convexpipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One INFO line per operator action, through the admin API or the CLI, on the logger
 * {@code dev.convexpipeline.audit}: what was done, to what, the outcome, and who — a token's
 * fingerprint (first 8 hex digits of its SHA-256), never the token.
 */
public final class Audit {
    private static final Logger LOG = LoggerFactory.getLogger("dev.convexpipeline.audit");

    private Audit() {
    }

    public static void record(String action, String target, String outcome, String actor) {
        LOG.info("audit action=\"{}\" target=\"{}\" outcome=\"{}\" actor=\"{}\"", action, target == null ? "" : target,
                outcome, actor);
    }

    /** {@code sha256:<8 hex>} of a bearer token; "none" without one. */
    public static String fingerprint(String token) {
        if (token == null || token.isBlank()) {
            return "none";
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
