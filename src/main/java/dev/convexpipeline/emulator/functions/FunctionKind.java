package dev.convexpipeline.emulator.functions;

/** Query, mutation or action, named as Convex names them in error messages. */
public enum FunctionKind {
    QUERY("Query"), MUTATION("Mutation"), ACTION("Action");

    private final String displayName;

    FunctionKind(String displayName) {
        this.displayName = displayName;
    }

    public String displayName() {
        return displayName;
    }
}
