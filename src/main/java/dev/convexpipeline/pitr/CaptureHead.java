package dev.convexpipeline.pitr;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * {@code changes/head.json}: how far the capturer got. A hint, rewritten after each segment: after
 * a crash it may be one segment behind, and the capturer then walks forward through the manifests.
 *
 * @param chainStart  snapshot timestamp of the base backup the current chain starts at
 * @param cursor      end ({@code toTs}) of the newest complete segment of that chain, or the chain start
 * @param quietThrough nothing changed in the deployment between {@code cursor} and this timestamp
 *                     (the capturer looked and found no change); equals {@code cursor} otherwise
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CaptureHead(long chainStart, long cursor, long quietThrough) {
}
