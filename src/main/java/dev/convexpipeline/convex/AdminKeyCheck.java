package dev.convexpipeline.convex;

import java.util.List;

/**
 * What {@code /api/check_admin_key} says about the configured key.
 *
 * @param readOnly   whether the key may only read
 * @param allowedOps operations the key may perform, as the server names them
 */
public record AdminKeyCheck(boolean readOnly, List<String> allowedOps) {
}
