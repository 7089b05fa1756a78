package dev.convexpipeline.convex;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConvexClientConfigTest {
    private static final String KEY = "convex-self-hosted|01deadbeefcafe";

    @Test
    void toStringNeverShowsTheAdminKey() {
        ConvexClientConfig config = ConvexClientConfig.of("http://127.0.0.1:3210/", KEY);

        assertThat(config.toString()).doesNotContain(KEY).doesNotContain("deadbeef").contains("<redacted>");
        assertThat(new ConvexClient(config).toString()).doesNotContain(KEY);
    }

    @Test
    void trailingSlashIsDropped() {
        assertThat(ConvexClientConfig.of("http://127.0.0.1:3210/", KEY).deploymentUrl())
                .hasToString("http://127.0.0.1:3210");
    }

    @Test
    void rejectsAnEmptyKeyAndNonHttpUrls() {
        assertThatThrownBy(() -> ConvexClientConfig.of("http://127.0.0.1:3210", " "))
                .hasMessageContaining("admin key is empty");
        assertThatThrownBy(() -> ConvexClientConfig.of("ftp://127.0.0.1:3210", KEY))
                .hasMessageContaining("http(s)");
    }

    @Test
    void importOptionsEnforceTableNamesAndPartSize() {
        assertThatThrownBy(() -> ImportOptions.table(ImportFormat.JSON_LINES, null, ImportMode.APPEND))
                .hasMessageContaining("needs a destination table");
        assertThatThrownBy(() -> new ImportOptions(ImportFormat.ZIP, ImportMode.APPEND, "users", false,
                ImportOptions.MIN_PART_SIZE, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1), null))
                .hasMessageContaining("ZIP import cannot have a table name");
        assertThatThrownBy(() -> ImportOptions.zip(ImportMode.APPEND).withPartSize(1024))
                .hasMessageContaining("at least");
    }
}
