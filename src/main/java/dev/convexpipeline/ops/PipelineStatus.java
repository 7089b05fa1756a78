package dev.convexpipeline.ops;

import dev.convexpipeline.PipelineVersion;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code GET /admin/status} reports: version, target deployment (never its key) and readiness. */
public final class PipelineStatus {
    private final CamelContext camelContext;
    private final String convexUrl;

    public PipelineStatus(CamelContext camelContext, String convexUrl) {
        this.camelContext = camelContext;
        this.convexUrl = convexUrl;
    }

    public Map<String, Object> status() {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("version", PipelineVersion.get());
        status.put("convexUrl", convexUrl);
        status.put("camelStatus", camelContext.getStatus().name());
        List<Map<String, Object>> checks = HealthCheckHelper.invokeReadiness(camelContext).stream()
                .map(PipelineStatus::describe).toList();
        status.put("ready", checks.stream().allMatch(c -> "UP".equals(c.get("state"))));
        status.put("checks", checks);
        return status;
    }

    private static Map<String, Object> describe(HealthCheck.Result result) {
        Map<String, Object> check = new LinkedHashMap<>();
        check.put("id", result.getCheck().getId());
        check.put("state", result.getState().name());
        result.getMessage().ifPresent(message -> check.put("message", message));
        return check;
    }
}
