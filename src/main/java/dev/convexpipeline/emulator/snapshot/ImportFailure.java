package dev.convexpipeline.emulator.snapshot;

/** An import that cannot proceed; the message becomes the failed state's error text. */
public final class ImportFailure extends RuntimeException {
    private final String code;

    public ImportFailure(String code, String message) {
        super(message);
        this.code = code;
    }

    public ImportFailure(String message) {
        this("ImportFailed", message);
    }

    public String code() {
        return code;
    }
}
