package dev.convexpipeline.emulator.functions;

/** Arguments that do not match the function's validator; reported like Convex's ArgumentValidationError. */
public final class ArgumentValidationError extends RuntimeException {
    public ArgumentValidationError(String message) {
        super(message);
    }
}
