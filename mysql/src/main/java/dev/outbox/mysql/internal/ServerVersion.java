package dev.outbox.mysql.internal;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A server's product and version as {@code SELECT VERSION()} reports it: {@code 8.0.36},
 * {@code 8.4.2-log}, {@code 10.11.19-MariaDB-0+deb12u1}, or with the {@code 5.5.5-} prefix MariaDB
 * puts in front of its version for old clients.
 *
 * @param mariaDb whether the server is MariaDB (else MySQL or a MySQL-compatible server)
 * @param text the version as reported, for messages
 */
public record ServerVersion(boolean mariaDb, int major, int minor, int patch, String text) {

    private static final Pattern NUMBERS = Pattern.compile("^(?:5\\.5\\.5-)?(\\d+)\\.(\\d+)\\.(\\d+)");

    /** Parses {@code VERSION()}; throws {@link IllegalArgumentException} if it has no x.y.z. */
    public static ServerVersion parse(String version) {
        Matcher matcher = NUMBERS.matcher(version.trim());
        if (!matcher.find()) {
            throw new IllegalArgumentException("not a MySQL or MariaDB version: '" + version + "'");
        }
        return new ServerVersion(
                version.toLowerCase(Locale.ROOT).contains("mariadb"),
                Integer.parseInt(matcher.group(1)),
                Integer.parseInt(matcher.group(2)),
                Integer.parseInt(matcher.group(3)),
                version.trim());
    }

    /** Whether this version is {@code major.minor.patch} or later. */
    public boolean atLeast(int major, int minor, int patch) {
        if (this.major != major) {
            return this.major > major;
        }
        if (this.minor != minor) {
            return this.minor > minor;
        }
        return this.patch >= patch;
    }

    /** {@code "MariaDB 10.11.19-MariaDB-0+deb12u1"} or {@code "MySQL 8.0.36"}. */
    public String describe() {
        return (mariaDb ? "MariaDB " : "MySQL ") + text;
    }
}
