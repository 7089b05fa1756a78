package dev.convexpipeline.pitr;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A gap the capturer could not fill: the deployment no longer had the changes committed after
 * {@code afterTs}. Restores never bridge it; the next base backup after it starts a new chain.
 *
 * @param afterTs    the last timestamp whose changes were captured (the end of the broken chain)
 * @param afterTime  the same instant, ISO-8601 UTC
 * @param detectedAt when the capturer found out (ISO-8601 UTC)
 * @param reason     what the deployment answered
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChainBreak(long afterTs, String afterTime, String detectedAt, String reason) {
}
