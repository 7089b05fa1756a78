package dev.convexpipeline.emulator.functions;

/**
 * The deployment's user-set state, as the backend keeps it in its {@code _backend_state} document:
 * {@code running} or {@code paused}. While paused, user functions fail with {@link #PAUSED_ERROR_MESSAGE};
 * system functions ({@code _system/…}, which the CLI's export and import use) still run.
 */
public final class DeploymentState {
    /** The backend's exact text (model::backend_state::PAUSED_ERROR_MESSAGE). */
    public static final String PAUSED_ERROR_MESSAGE = "Cannot run functions while this deployment is paused. "
            + "Resume the deployment in the dashboard settings to allow functions to run.";

    private volatile boolean paused;

    public boolean paused() {
        return paused;
    }

    public void pause() {
        paused = true;
    }

    public void unpause() {
        paused = false;
    }
}
