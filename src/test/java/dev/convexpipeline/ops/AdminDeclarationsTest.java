package dev.convexpipeline.ops;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The admin routes' declarations ("METHOD /admin/path" in the description) are what the bridge mounts. */
class AdminDeclarationsTest {

    private static CamelContext contextWith(String... declarations) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                for (int i = 0; i < declarations.length; i++) {
                    from("direct:admin-op-" + i).routeId("admin-op-" + i).group(AdminApiBridge.GROUP)
                            .description(declarations[i]).log("ok");
                }
                from("direct:not-admin").routeId("not-admin").description("POST /admin/ignored").log("ok");
            }
        });
        context.start();
        return context;
    }

    @Test
    void eachDeclarationBecomesAnOperationAndPathParametersMatchOneSegment() throws Exception {
        try (CamelContext context = contextWith("POST /admin/stripe/events/:eventId/reapply", "GET /admin/status")) {
            var operations = AdminApiBridge.declaredOperations(context);

            assertThat(operations).extracting(op -> op.method().name() + " " + op.path())
                    .containsExactlyInAnyOrder("POST /admin/stripe/events/:eventId/reapply", "GET /admin/status");
            var reapply = operations.stream().filter(op -> op.path().contains("reapply")).findFirst().orElseThrow();
            assertThat(reapply.endpointUri()).isEqualTo("direct://admin-op-0");
            assertThat(reapply.matchesPath("/admin/stripe/events/evt_1/reapply")).isTrue();
            assertThat(reapply.matchesPath("/admin/stripe/events/evt_1/other/reapply")).isFalse();
        }
    }

    @Test
    void aMalformedOrRepeatedDeclarationStopsTheStartNamingTheRoute() throws Exception {
        try (CamelContext context = contextWith("FETCH /admin/status")) {
            assertThatThrownBy(() -> AdminApiBridge.declaredOperations(context))
                    .hasMessageContaining("admin-op-0").hasMessageContaining("METHOD /admin/path");
        }
        try (CamelContext context = contextWith("GET /admin/status", "GET /admin/status")) {
            assertThatThrownBy(() -> AdminApiBridge.declaredOperations(context))
                    .hasMessageContaining("GET /admin/status").hasMessageContaining("already answers");
        }
    }
}
