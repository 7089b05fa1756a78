package dev.convexpipeline.emulator.functions;

/** Who is calling: anonymous, the deployment admin, or the admin acting as a user. */
public enum Identity {
    UNKNOWN, ADMIN, ACTING_USER;

    /** Admin keys (also when acting as a user) may run internal and {@code _system} functions. */
    public boolean isAdmin() {
        return this != UNKNOWN;
    }
}
