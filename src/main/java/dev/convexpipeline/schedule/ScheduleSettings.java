package dev.convexpipeline.schedule;

import dev.convexpipeline.app.SettingsSource;

/**
 * Where the pipeline's Quartz schedules live. In memory by default (one instance); clustered on a
 * shared PostgreSQL so a scheduled run fires on exactly one of N instances and survives one dying.
 */
public record ScheduleSettings(boolean clustered, String jdbcUrl, String jdbcUser, String jdbcPassword,
                               String tablePrefix, long clusterCheckinMillis, long idleWaitMillis, int threads) {

    public static ScheduleSettings from(SettingsSource settings) {
        return new ScheduleSettings(settings.flag("quartz.clustered"), settings.text("quartz.jdbc-url"),
                settings.text("quartz.jdbc-user"), settings.text("quartz.jdbc-password"), settings.text("quartz.table-prefix"),
                settings.number("quartz.cluster-checkin-ms"), settings.number("quartz.idle-wait-ms"),
                settings.integer("quartz.threads"));
    }

    @Override
    public String toString() {
        // The JDBC password stays out of logs.
        return "ScheduleSettings[clustered=" + clustered + ", jdbcUrl=" + jdbcUrl + ", jdbcUser=" + jdbcUser
                + ", tablePrefix=" + tablePrefix + ", clusterCheckinMillis=" + clusterCheckinMillis
                + ", idleWaitMillis=" + idleWaitMillis + ", threads=" + threads + "]";
    }
}
