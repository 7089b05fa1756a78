package dev.convexpipeline.emulator.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code Convex-Client} header handling: it only decides the default output format (docs/convex-wire.md §1.1, §1.3). */
final class ClientVersions {
    private static final Pattern CLIENT = Pattern.compile("(.+)-(\\d+)\\.(\\d+)\\.(\\d+)(?:[-+].*)?");

    private ClientVersions() {
    }

    /** Validates the header (400 InvalidVersion) and returns the default {@code format}. */
    static String defaultFormat(String header) {
        if (header == null) {
            return "json";
        }
        Matcher matcher = CLIENT.matcher(header);
        if (!header.contains("-") || !matcher.matches()) {
            throw ApiException.badRequest("InvalidVersion", "Failed to parse client version string: '" + header
                    + "'. Expected format is {client_name}-{semver}, e.g. my-esolang-client-0.0.1");
        }
        String client = matcher.group(1);
        int[] version = {Integer.parseInt(matcher.group(2)), Integer.parseInt(matcher.group(3)),
                Integer.parseInt(matcher.group(4))};
        boolean npm = client.equals("npm") || client.equals("npm-cli");
        if (npm && compare(version, new int[]{1, 4, 1}) <= 0) {
            return "convex_encoded_json";
        }
        if (client.equals("python") && compare(version, new int[]{0, 5, 0}) <= 0) {
            return "convex_encoded_json";
        }
        return "json";
    }

    private static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) {
            if (a[i] != b[i]) {
                return Integer.compare(a[i], b[i]);
            }
        }
        return 0;
    }
}
