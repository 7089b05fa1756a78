package dev.convexpipeline.backup;

import java.util.HexFormat;

/**
 * The order-independent content digest of one table: the sum, modulo 2^256, of the SHA-256 of
 * every document line (the line's bytes without its {@code \n}), each read as a big-endian unsigned
 * 256-bit integer. A sum rather than an XOR, because with XOR two identical lines cancel out and
 * an even number of duplicated lines would go unnoticed. Convex writes tables in id order today,
 * but nothing promises it; order-independence lets a re-export of the same data compare equal.
 */
public final class TableDigest {
    /** Four 64-bit limbs, most significant first. */
    private final long[] limbs = new long[4];

    /** Adds one line's SHA-256 (32 bytes). */
    public void add(byte[] sha256) {
        long carry = 0;
        for (int limb = 3; limb >= 0; limb--) {
            long value = 0;
            for (int i = 0; i < 8; i++) {
                value = (value << 8) | (sha256[limb * 8 + i] & 0xffL);
            }
            long sum = limbs[limb] + value;
            long carryOut = Long.compareUnsigned(sum, limbs[limb]) < 0 ? 1 : 0;
            long withCarry = sum + carry;
            if (carry != 0 && withCarry == 0) {
                carryOut = 1;
            }
            limbs[limb] = withCarry;
            carry = carryOut;
        }
    }

    /** 64 lowercase hex digits. */
    public String hex() {
        StringBuilder text = new StringBuilder(64);
        HexFormat hex = HexFormat.of();
        for (long limb : limbs) {
            text.append(hex.toHexDigits(limb));
        }
        return text.toString();
    }
}
