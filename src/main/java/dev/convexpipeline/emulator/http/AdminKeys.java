package dev.convexpipeline.emulator.http;

import dev.convexpipeline.emulator.functions.Identity;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Admin-key extraction and validation as a self-hosted backend does it (docs/convex-wire.md §1.5, §6.2).
 * A real backend decrypts keys with its instance secret; the emulator accepts exactly the
 * configured key strings instead.
 */
public final class AdminKeys {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final String instanceName;
    private final Set<String> acceptedKeys;

    public AdminKeys(String instanceName, List<String> acceptedKeys) {
        this.instanceName = instanceName;
        this.acceptedKeys = Set.copyOf(acceptedKeys);
    }

    /**
     * A key in the real layout {@code <instanceName>|<hex>}: version byte 0x01, 12-byte nonce,
     * ciphertext and 16-byte tag — here all random, since only this emulator will check it.
     */
    public static String generate(String instanceName) {
        byte[] body = new byte[1 + 12 + 16 + 16];
        RANDOM.nextBytes(body);
        body[0] = 0x01;
        return instanceName + "|" + HexFormat.of().formatHex(body);
    }

    public String instanceName() {
        return instanceName;
    }

    /** Credentials found in a request, before they are checked against this instance. */
    public sealed interface Credentials {
        record None() implements Credentials {
        }

        record AdminKey(String key, boolean actingAsUser) implements Credentials {
        }

        record Bearer(String token) implements Credentials {
        }
    }

    /**
     * Reads {@code Authorization} (or {@code ?adminKey=} without a header), failing on a
     * malformed header. No key validation happens here.
     */
    public static Credentials extract(String authorizationHeader, String adminKeyParameter) {
        if (authorizationHeader != null) {
            if (authorizationHeader.length() < 7) {
                throw ApiException.badRequest("InvalidHeaderFailure", "Invalid authentication header");
            }
            String prefix = authorizationHeader.substring(0, 7).toLowerCase(Locale.ROOT);
            if (prefix.equals("convex ")) {
                return adminKey(authorizationHeader.substring(7).trim());
            }
            if (prefix.equals("bearer ")) {
                return new Credentials.Bearer(authorizationHeader.substring(7).trim());
            }
            throw ApiException.badRequest("InvalidAdminKey", "Invalid admin key");
        }
        if (adminKeyParameter != null) {
            return adminKey(adminKeyParameter);
        }
        return new Credentials.None();
    }

    /** Checks credentials against this instance: 401 for a key (or JWT) it does not accept. */
    public Identity authenticate(Credentials credentials) {
        if (credentials instanceof Credentials.AdminKey adminKey) {
            if (!acceptedKeys.contains(adminKey.key())) {
                throw badAdminKey();
            }
            return adminKey.actingAsUser() ? Identity.ACTING_USER : Identity.ADMIN;
        }
        if (credentials instanceof Credentials.Bearer) {
            throw new ApiException(401, "NoAuthProvider", "No auth provider found matching the given token. "
                    + "Check that your JWT's issuer and audience match one of your configured providers: []");
        }
        return Identity.UNKNOWN;
    }

    /** Whether a plain key string (as a WebSocket Authenticate carries it) is valid here. */
    public boolean accepts(String key) {
        try {
            Credentials credentials = adminKey(key);
            return credentials instanceof Credentials.AdminKey adminKey && acceptedKeys.contains(adminKey.key());
        } catch (ApiException e) {
            return false;
        }
    }

    /** 403 for admin-only routes called without admin credentials. */
    public static void requireAdmin(Identity identity) {
        if (!identity.isAdmin()) {
            throw new ApiException(403, "BadDeployKey", "The provided deploy key was invalid for this deployment. "
                    + "Double check that the environment this key was generated for matches the desired deployment.");
        }
    }

    public static ApiException badAdminKey() {
        return new ApiException(401, "BadAdminKey", "The provided admin key was invalid for this instance");
    }

    private static Credentials adminKey(String raw) {
        String key = removeTypePrefix(raw);
        int colon = key.indexOf(':');
        if (colon < 0) {
            return new Credentials.AdminKey(key, false);
        }
        try {
            Base64.getDecoder().decode(key.substring(colon + 1));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("HeaderParseFailure", "Malformed Authorization header.");
        }
        return new Credentials.AdminKey(key.substring(0, colon), true);
    }

    /** {@code prod:name|rest} → {@code name|rest}; {@code preview:…|rest} and {@code project:…|rest} → {@code rest}. */
    private static String removeTypePrefix(String key) {
        int bar = key.indexOf('|');
        if (bar < 0) {
            return key;
        }
        String head = key.substring(0, bar);
        int colon = head.indexOf(':');
        if (colon < 0) {
            return key;
        }
        String type = head.substring(0, colon);
        if (type.equals("preview") || type.equals("project")) {
            return key.substring(bar + 1);
        }
        return key.substring(colon + 1);
    }
}
