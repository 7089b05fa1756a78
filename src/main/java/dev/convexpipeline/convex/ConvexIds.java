package dev.convexpipeline.convex;

import java.io.ByteArrayOutputStream;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;

/**
 * Convex document IDs (crates/value/src/id_v6.rs): VInt(table number) ‖ 16-byte internal id ‖
 * 2-byte little-endian Fletcher-16 (mod 256) footer, in Convex's base32. Written by hand because
 * no library implements this format; the emulator must mint IDs that a real Convex accepts.
 */
public final class ConvexIds {
    private static final String ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
    private static final int VERSION = 0;
    private static final int INTERNAL_ID_LENGTH = 16;
    private static final int MIN_ENCODED_LENGTH = base32Length(1 + INTERNAL_ID_LENGTH + 2);
    private static final int MAX_ENCODED_LENGTH = base32Length(5 + INTERNAL_ID_LENGTH + 2);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A decoded ID: the table number and the 16 internal bytes. */
    public record DocumentId(int tableNumber, byte[] internalId) {
        public String encode() {
            return ConvexIds.encode(tableNumber, internalId);
        }
    }

    /** Thrown for a string that is not a canonical Convex ID. */
    public static final class InvalidIdException extends IllegalArgumentException {
        public InvalidIdException(String message) {
            super(message);
        }
    }

    private ConvexIds() {
    }

    public static String generate(int tableNumber) {
        byte[] internal = new byte[INTERNAL_ID_LENGTH];
        RANDOM.nextBytes(internal);
        return encode(tableNumber, internal);
    }

    public static String encode(int tableNumber, byte[] internalId) {
        if (tableNumber <= 0) {
            throw new IllegalArgumentException("table number must be positive: " + tableNumber);
        }
        if (internalId.length != INTERNAL_ID_LENGTH) {
            throw new IllegalArgumentException("internal id must be 16 bytes");
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream(23);
        long n = Integer.toUnsignedLong(tableNumber);
        while (n >= 0x80) {
            buf.write((int) ((n & 0x7f) | 0x80));
            n >>>= 7;
        }
        buf.write((int) n);
        buf.writeBytes(internalId);
        int footer = fletcher16(buf.toByteArray()) ^ VERSION;
        buf.write(footer & 0xff);
        buf.write((footer >>> 8) & 0xff);
        return base32Encode(buf.toByteArray());
    }

    public static boolean isValid(String id) {
        return tryDecode(id).isPresent();
    }

    /** The decoded ID, or empty when {@code id} is not a valid document ID (a lookup by it finds nothing). */
    public static Optional<DocumentId> tryDecode(String id) {
        try {
            return Optional.of(decode(id));
        } catch (InvalidIdException e) {
            return Optional.empty();
        }
    }

    public static DocumentId decode(String id) {
        if (id == null || id.length() < MIN_ENCODED_LENGTH || id.length() > MAX_ENCODED_LENGTH) {
            throw new InvalidIdException("Invalid ID length " + (id == null ? 0 : id.length()));
        }
        byte[] bytes = base32Decode(id);
        int pos = 0;
        long tableNumber = 0;
        for (int i = 0; ; i++) {
            if (i >= 5) {
                throw new InvalidIdException("Invalid ID: table number too large");
            }
            if (pos >= bytes.length) {
                throw new InvalidIdException("Invalid ID: truncated");
            }
            int b = bytes[pos++] & 0xff;
            tableNumber |= ((long) (b & 0x7f)) << (7 * i);
            if (b < 0x80) {
                break;
            }
        }
        if (tableNumber == 0 || tableNumber > 0xffffffffL) {
            throw new InvalidIdException("Invalid ID: bad table number");
        }
        if (bytes.length != pos + INTERNAL_ID_LENGTH + 2) {
            throw new InvalidIdException("Invalid ID length " + id.length());
        }
        byte[] internal = Arrays.copyOfRange(bytes, pos, pos + INTERNAL_ID_LENGTH);
        int expectedFooter = fletcher16(Arrays.copyOfRange(bytes, 0, pos + INTERNAL_ID_LENGTH)) ^ VERSION;
        int footer = (bytes[pos + INTERNAL_ID_LENGTH] & 0xff) | ((bytes[pos + INTERNAL_ID_LENGTH + 1] & 0xff) << 8);
        if (footer != expectedFooter) {
            throw new InvalidIdException("Invalid ID: checksum mismatch");
        }
        // Re-encoding rejects non-canonical spellings, as Convex does.
        if (!encode((int) tableNumber, internal).equals(id)) {
            throw new InvalidIdException("Invalid ID: not canonical");
        }
        return new DocumentId((int) tableNumber, internal);
    }

    static int fletcher16(byte[] data) {
        int c0 = 0;
        int c1 = 0;
        for (byte b : data) {
            c0 = (c0 + (b & 0xff)) & 0xff;
            c1 = (c1 + c0) & 0xff;
        }
        return (c1 << 8) | c0;
    }

    private static int base32Length(int bytes) {
        return (bytes * 8 + 4) / 5;
    }

    private static String base32Encode(byte[] data) {
        StringBuilder out = new StringBuilder(base32Length(data.length));
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 0x1f));
                bits -= 5;
            }
        }
        if (bits > 0) {
            out.append(ALPHABET.charAt((buffer << (5 - bits)) & 0x1f));
        }
        return out.toString();
    }

    private static byte[] base32Decode(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() * 5 / 8);
        int buffer = 0;
        int bits = 0;
        for (int i = 0; i < text.length(); i++) {
            int v = ALPHABET.indexOf(text.charAt(i));
            if (v < 0) {
                throw new InvalidIdException("Invalid ID: character '" + text.charAt(i) + "' is not base32");
            }
            buffer = (buffer << 5) | v;
            bits += 5;
            if (bits >= 8) {
                out.write((buffer >>> (bits - 8)) & 0xff);
                bits -= 8;
            }
        }
        return out.toByteArray();
    }
}
