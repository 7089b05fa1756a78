package dev.convexpipeline;

/** Turns an exception into the one line an operator reads, without stack traces or secrets. */
public final class OperatorMessages {
    private OperatorMessages() {
    }

    public static String describe(Throwable error) {
        Throwable cause = error;
        // Wrappers from the runtime add nothing for an operator; report the innermost reason.
        while ((cause instanceof java.util.concurrent.ExecutionException
                || cause instanceof java.lang.reflect.InvocationTargetException
                || cause.getClass().getName().equals("org.apache.camel.RuntimeCamelException"))
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return message == null || message.isBlank() ? cause.getClass().getSimpleName() : message;
    }
}
