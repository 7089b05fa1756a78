package dev.convexpipeline.schedule;

import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Points Camel's Quartz component at Quartz's clustered JDBC job store on PostgreSQL. Every
 * scheduled route (housekeeping, reconcile, backups) uses the one component, so one switch makes
 * them all single-fire across instances.
 */
public final class QuartzClusterSetup {
    private static final Logger LOG = LoggerFactory.getLogger(QuartzClusterSetup.class);
    /** All instances of one cluster must share the scheduler name; Camel Main names the context the same on each. */
    static final String SCHEDULER_NAME = "convex-pipeline";
    private static final Pattern VALID_PREFIX = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,20}");
    private static final long SCHEMA_LOCK_KEY = 0x636f6e76L; // any constant shared by all instances

    private QuartzClusterSetup() {
    }

    public static void apply(CamelContext camelContext, ScheduleSettings settings) {
        QuartzComponent quartz = camelContext.getComponent("quartz", QuartzComponent.class);
        if (!settings.clustered()) {
            quartz.setProperties(localProperties(settings));
            return;
        }
        ensureSchema(settings);
        quartz.setProperties(quartzProperties(settings));
        LOG.info("Quartz schedules use the clustered JDBC job store at {} (table prefix {})",
                settings.jdbcUrl(), settings.tablePrefix());
    }

    /**
     * The in-memory store of one instance. Camel names the scheduler after the context, so several
     * contexts in one JVM keep separate schedulers.
     */
    static Properties localProperties(ScheduleSettings settings) {
        Properties p = threadPool(settings);
        p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
        return p;
    }

    /**
     * Scheduled work (change capture every few seconds, backups, reconcile) runs at the lowest thread
     * priority, so on a small machine a webhook is answered before a flush competes with it for a core
     * (effective where the JVM maps priorities to the OS: -XX:ThreadPriorityPolicy=1, as the image runs it).
     */
    private static Properties threadPool(ScheduleSettings settings) {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
        p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(settings.threads()));
        p.setProperty("org.quartz.threadPool.threadPriority", Integer.toString(Thread.MIN_PRIORITY));
        return p;
    }

    static Properties quartzProperties(ScheduleSettings settings) {
        Properties p = threadPool(settings);
        p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
        p.setProperty("org.quartz.scheduler.instanceId", "AUTO");
        // Failover waits on the idle wait: the default 30 s would leave schedules unattended that long.
        p.setProperty("org.quartz.scheduler.idleWaitTime", Long.toString(settings.idleWaitMillis()));
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
        p.setProperty("org.quartz.jobStore.tablePrefix", settings.tablePrefix());
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(settings.clusterCheckinMillis()));
        p.setProperty("org.quartz.jobStore.dataSource", "pipeline");
        p.setProperty("org.quartz.dataSource.pipeline.provider", "hikaricp");
        p.setProperty("org.quartz.dataSource.pipeline.driver", "org.postgresql.Driver");
        p.setProperty("org.quartz.dataSource.pipeline.URL", settings.jdbcUrl());
        p.setProperty("org.quartz.dataSource.pipeline.user", settings.jdbcUser());
        p.setProperty("org.quartz.dataSource.pipeline.password", settings.jdbcPassword() == null ? "" : settings.jdbcPassword());
        p.setProperty("org.quartz.dataSource.pipeline.maxConnections", Integer.toString(settings.threads() + 2));
        return p;
    }

    /**
     * Creates Quartz's tables (the script shipped in the Quartz jar, without its DROP statements)
     * unless they exist. An advisory lock serializes instances that start at the same moment.
     */
    static void ensureSchema(ScheduleSettings settings) {
        if (!VALID_PREFIX.matcher(settings.tablePrefix()).matches()) {
            throw new IllegalArgumentException("QUARTZ_TABLE_PREFIX must be letters, digits and _ (got '"
                    + settings.tablePrefix() + "')");
        }
        try (Connection connection = DriverManager.getConnection(settings.jdbcUrl(), settings.jdbcUser(),
                settings.jdbcPassword() == null ? "" : settings.jdbcPassword())) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK_KEY + ")");
                if (!tableExists(connection, settings.tablePrefix() + "LOCKS")) {
                    for (String sql : createStatements(settings.tablePrefix())) {
                        statement.execute(sql);
                    }
                    LOG.info("Created the Quartz job store tables ({}*) in {}", settings.tablePrefix(), settings.jdbcUrl());
                }
            }
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("Clustered scheduler: cannot prepare the Quartz tables at "
                    + settings.jdbcUrl() + ": " + e.getMessage() + " — check QUARTZ_JDBC_URL/USER/PASSWORD", e);
        }
    }

    private static boolean tableExists(Connection connection, String table) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet tables = meta.getTables(null, null, table.toLowerCase(Locale.ROOT), null)) {
            return tables.next();
        }
    }

    static List<String> createStatements(String prefix) {
        String script;
        try (InputStream in = org.quartz.impl.jdbcjobstore.JobStoreTX.class
                .getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_postgres.sql")) {
            if (in == null) {
                throw new IllegalStateException("tables_postgres.sql is missing from the Quartz jar");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read Quartz's PostgreSQL schema: " + e.getMessage(), e);
        }
        StringBuilder withoutComments = new StringBuilder();
        for (String line : script.split("\n")) {
            if (!line.strip().startsWith("--")) {
                withoutComments.append(line).append('\n');
            }
        }
        List<String> statements = new ArrayList<>();
        for (String statement : withoutComments.toString().split(";")) {
            String sql = statement.strip();
            if (sql.isEmpty() || sql.toUpperCase(Locale.ROOT).startsWith("DROP") || sql.equalsIgnoreCase("COMMIT")) {
                continue;
            }
            statements.add(sql.replace("QRTZ_", prefix));
        }
        return statements;
    }
}
