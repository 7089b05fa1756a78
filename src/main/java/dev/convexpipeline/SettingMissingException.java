package dev.convexpipeline;

/**
 * An action needs a setting that is not configured (a key, a secret): the operator must set it, a
 * retry will not help. The admin API answers 503 with this message, not 500.
 */
public class SettingMissingException extends IllegalStateException {
    public SettingMissingException(String message) {
        super(message);
    }
}
