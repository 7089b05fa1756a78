package dev.convexpipeline.emulator.store;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/**
 * The limits Convex puts on every stored document (value crate: field names, object fields, array
 * length, nesting; common/document.rs: user size, document nesting, system fields, creation time),
 * with the backend's error codes and texts. Every write goes through {@link #check} before it can
 * reach the journal, so the emulator never stores, and never has to replay, what Convex refuses.
 */
public final class DocumentRules {
    public static final int MAX_FIELD_NAME_LENGTH = 1024;
    public static final int MAX_OBJECT_FIELDS = 1024;
    public static final int MAX_ARRAY_LENGTH = 8192;
    public static final int MAX_DOCUMENT_NESTING = 16;
    public static final long MAX_USER_SIZE = 1L << 20;
    /** Creation times must stay below 2^53 ms, where float64 stops being exact for integers. */
    private static final double MAX_EXACT_FLOAT_INTEGER = 9007199254740992.0;

    private DocumentRules() {
    }

    /** A value or document Convex would refuse; {@code code} is the backend's error code. */
    public static final class Violation extends IllegalArgumentException {
        private final String code;

        public Violation(String code, String message) {
            super(message);
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    /** Checks a complete document (with {@code _id} and {@code _creationTime}) before it is stored. */
    public static void check(JsonNode document) {
        long size = checkValue(document, 0);
        int nesting = nesting(document);
        if (nesting > MAX_DOCUMENT_NESTING) {
            throw invalidDocument(document, "Document is too nested (nested " + nesting + " levels deep > maximum nesting "
                    + MAX_DOCUMENT_NESTING + ")");
        }
        JsonNode creationTime = document.get(Transaction.CREATION_TIME_FIELD);
        if (creationTime != null) {
            if (!creationTime.isFloatingPointNumber()) {
                throw invalidDocument(document, "The '_creationTime' field should be a float, is " + display(creationTime));
            }
            double millis = creationTime.doubleValue();
            if (!(millis > 0.0 && millis < MAX_EXACT_FLOAT_INTEGER)) {
                throw invalidDocument(document, "The '_creationTime' field should be a timestamp in milliseconds, is "
                        + display(creationTime));
            }
        }
        for (Iterator<String> names = document.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (name.startsWith("_") && !name.equals(Transaction.ID_FIELD) && !name.equals(Transaction.CREATION_TIME_FIELD)) {
                throw invalidDocument(document, "Field '" + name
                        + "' starts with an underscore, which is only allowed for system fields like '_id'");
            }
        }
        if (size > MAX_USER_SIZE) {
            throw new Violation("ValueTooLargeError", "Value is too large (" + binarySize(size)
                    + " > maximum size " + binarySize(MAX_USER_SIZE) + ")");
        }
    }

    /** Checks a value's field names, field counts, array lengths and strings (what converting it to a Convex value checks). */
    public static void checkValue(JsonNode value) {
        checkValue(value, 0);
    }

    /** Why {@code name} cannot be a field name (sync_types identifier.rs), or null when it can. */
    public static String fieldNameProblem(String name) {
        if (name.startsWith("$")) {
            return "Field name " + name + " starts with '$', which is reserved.";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c > 0x7f || Character.isISOControl(c)) {
                return "Field name " + name + " has invalid character " + debugChar(name.codePointAt(i))
                        + ": Field names can only contain non-control ASCII characters";
            }
        }
        if (name.length() > MAX_FIELD_NAME_LENGTH) {
            return "Field name is too long (" + name.length() + " > maximum " + MAX_FIELD_NAME_LENGTH + ")";
        }
        return null;
    }

    /** Checks field names, field counts, array lengths and strings recursively; returns Convex's size. */
    private static long checkValue(JsonNode value, int depth) {
        if (value == null || value.isNull() || value.isBoolean()) {
            return 1;
        }
        if (value.isNumber()) {
            return 9;
        }
        if (value.isTextual()) {
            String text = value.textValue();
            checkString(text);
            return 2L + utf8Length(text);
        }
        if (value.isBinary()) {
            try {
                return 2L + value.binaryValue().length;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        long size = 2;
        if (value.isArray()) {
            if (value.size() > MAX_ARRAY_LENGTH) {
                throw new Violation("ArrayTooLong", "Array length is too long (" + value.size()
                        + " > maximum length " + MAX_ARRAY_LENGTH + ")");
            }
            for (JsonNode element : value) {
                size += checkValue(element, depth + 1);
            }
            return size;
        }
        if (value.size() > MAX_OBJECT_FIELDS) {
            throw new Violation("TooManyFieldsError", "Object has too many fields (" + value.size()
                    + " > maximum number " + MAX_OBJECT_FIELDS + ")");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String problem = fieldNameProblem(field.getKey());
            if (problem != null) {
                throw new Violation("InvalidFieldName", problem);
            }
            size += field.getKey().length() + 1 + checkValue(field.getValue(), depth + 1);
        }
        return size;
    }

    /** Convex strings are UTF-8: a lone UTF-16 surrogate has no encoding and cannot be stored. */
    private static void checkString(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new Violation("InvalidString", "String contains a lone surrogate (U+"
                        + Integer.toHexString(c).toUpperCase(Locale.ROOT) + "), which is not valid UTF-8");
            }
        }
    }

    /** The first lone surrogate in any string or field name of {@code value}, or null. */
    public static String loneSurrogate(JsonNode value) {
        if (value == null) {
            return null;
        }
        if (value.isTextual()) {
            return loneSurrogate(value.textValue());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String found = loneSurrogate(field.getKey());
            if (found == null) {
                found = loneSurrogate(field.getValue());
            }
            if (found != null) {
                return found;
            }
        }
        if (value.isArray()) {
            for (JsonNode element : value) {
                String found = loneSurrogate(element);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static String loneSurrogate(String text) {
        try {
            checkString(text);
            return null;
        } catch (Violation e) {
            return text;
        }
    }

    private static int nesting(JsonNode value) {
        if (value == null || !value.isContainerNode()) {
            return 0;
        }
        int deepest = 0;
        for (JsonNode child : value) {
            deepest = Math.max(deepest, nesting(child));
        }
        return 1 + deepest;
    }

    private static long utf8Length(String text) {
        long length = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                length += 1;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c)) {
                length += 4;
                i++;
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static Violation invalidDocument(JsonNode document, String violation) {
        JsonNode id = document.get(Transaction.ID_FIELD);
        String which = id != null && id.isTextual() ? "Document " + id.textValue() : "The document";
        return new Violation("InvalidDocumentError", which + " isn't a valid document: " + violation);
    }

    /** As Rust displays the value: strings quoted, whole floats without ".0". */
    private static String display(JsonNode value) {
        if (value.isTextual()) {
            return "\"" + value.textValue() + "\"";
        }
        if (value.isFloatingPointNumber()) {
            double d = value.doubleValue();
            return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
        }
        return value.toString();
    }

    /** Rust's {@code char} Debug form, as in the backend's messages: {@code 'é'}. */
    private static String debugChar(int codePoint) {
        if (Character.isISOControl(codePoint)) {
            return String.format(Locale.ROOT, "'\\u{%x}'", codePoint);
        }
        return "'" + new String(Character.toChars(codePoint)) + "'";
    }

    /** humansize's BINARY format, which the backend uses in size errors: "1 MiB", "1.05 MiB", "900 B". */
    static String binarySize(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (unit == 0) {
            return bytes + " B";
        }
        String text = String.format(Locale.ROOT, "%.2f", value).replaceAll("0+$", "").replaceAll("\\.$", "");
        return text + " " + units[unit];
    }
}
