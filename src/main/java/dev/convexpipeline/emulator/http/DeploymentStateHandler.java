package dev.convexpipeline.emulator.http;

import dev.convexpipeline.emulator.functions.DeploymentState;
import dev.convexpipeline.emulator.functions.Identity;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code POST /api/v1/pause_deployment} and {@code /api/v1/unpause_deployment}, as the backend's
 * deployment_state routes: an admin key is required, the answer is 200 with an empty body, and
 * pausing a paused deployment (or unpausing a running one) is not an error.
 */
public record DeploymentStateHandler(DeploymentState state, AdminKeys adminKeys) {

    public void pause(RoutingContext ctx) {
        requireAdmin(ctx);
        state.pause();
        ctx.response().setStatusCode(200).end();
    }

    public void unpause(RoutingContext ctx) {
        requireAdmin(ctx);
        state.unpause();
        ctx.response().setStatusCode(200).end();
    }

    private void requireAdmin(RoutingContext ctx) {
        Identity identity = adminKeys.authenticate(AdminKeys.extract(ctx.request().getHeader("Authorization"),
                ctx.request().getParam("adminKey")));
        AdminKeys.requireAdmin(identity);
    }
}
