package dev.convexpipeline.schedule;

/**
 * Where the pipeline's Quartz schedules live. In memory by default (one instance); clustered on a
 * shared PostgreSQL so a scheduled run fires on exactly one of N instances and survives one dying.
 */
public record ScheduleSettings(boolean clustered, String jdbcUrl, String jdbcUser, String jdbcPassword,
                               String tablePrefix, long clusterCheckinMillis, long idleWaitMillis, int threads) {

    @Override
    public String toString() {
        // The JDBC password stays out of logs.
        return "ScheduleSettings[clustered=" + clustered + ", jdbcUrl=" + jdbcUrl + ", jdbcUser=" + jdbcUser
                + ", tablePrefix=" + tablePrefix + ", clusterCheckinMillis=" + clusterCheckinMillis
                + ", idleWaitMillis=" + idleWaitMillis + ", threads=" + threads + "]";
    }
}
