package dev.convexpipeline.ops;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The operator bearer token; compared in constant time so response timing leaks nothing about it. */
public final class AdminToken {
    private final byte[] expected;

    public AdminToken(String token) {
        this.expected = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Without a configured token the admin API is disabled, never open. */
    public boolean isEnabled() {
        return expected != null;
    }

    public boolean matchesAuthorizationHeader(String header) {
        if (expected == null || header == null || header.length() < 7
                || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(expected, presented);
    }

    @Override
    public String toString() {
        return isEnabled() ? "AdminToken[configured]" : "AdminToken[disabled]";
    }
}
