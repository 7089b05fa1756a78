package dev.convexpipeline.emulator.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.convexpipeline.convex.ConvexValues;

/** Small argument validators, failing with Convex's ArgumentValidationError wording. */
public final class Args {
    private Args() {
    }

    public static String requiredString(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null) {
            throw new ArgumentValidationError("Object is missing the required field `" + field
                    + "`. Consider wrapping the field validator in `v.optional(...)`.\n\nObject: "
                    + ConvexValues.write(ConvexValues.toEncoded(args)));
        }
        if (!value.isTextual()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field
                    + "\nValue: " + ConvexValues.write(ConvexValues.toEncoded(value)) + "\nValidator: v.string()");
        }
        return value.textValue();
    }

    /** True when the optional field is present (possibly null); it must then be a string or null. */
    public static boolean hasOptionalNullableString(ObjectNode args, String field) {
        JsonNode value = args.get(field);
        if (value == null) {
            return false;
        }
        if (!value.isTextual() && !value.isNull()) {
            throw new ArgumentValidationError("Value does not match validator.\nPath: ." + field
                    + "\nValue: " + ConvexValues.write(ConvexValues.toEncoded(value))
                    + "\nValidator: v.union(v.string(), v.null())");
        }
        return true;
    }

    /** Rejects fields the validator does not list, as Convex's object validator does. */
    public static void allowOnly(ObjectNode args, String... fields) {
        java.util.Set<String> allowed = java.util.Set.of(fields);
        args.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new ArgumentValidationError("Object contains extra field `" + name
                        + "` that is not in the validator.\n\nObject: " + ConvexValues.write(ConvexValues.toEncoded(args)));
            }
        });
    }
}
