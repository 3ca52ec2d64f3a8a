package dev.outbox.cli;

import dev.outbox.mysql.MariaDbDialect;
import dev.outbox.mysql.MySqlDialect;
import dev.outbox.postgres.PostgresDialect;
import dev.outbox.spi.OutboxDialect;
import java.util.regex.Pattern;

/**
 * What the tool does with a JDBC URL before it connects: refuses one that carries the login password
 * (a URL is echoed by tools and error messages, and sits in shell histories and process lists),
 * masks other secret-looking parameters wherever it prints one, and picks the dialect from its
 * scheme.
 */
final class JdbcUrls {

    /** {@code ?password=}, {@code &password=}, {@code ;password=} (Properties style) and MariaDB's {@code (password=}. */
    private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)[?&;(]\\s*password\\s*=");

    /** {@code //user:secret@host}: the password in the URL's user info. */
    private static final Pattern USER_INFO_PASSWORD = Pattern.compile("//[^/?#@]*:[^/?#@]*@");

    /** Any parameter whose name says it holds a secret (sslpassword, trustStorePassword, ...): its value. */
    private static final Pattern SECRET_VALUE =
            Pattern.compile("(?i)([?&;(]\\s*[a-z0-9_.-]*(?:password|secret|pwd)[a-z0-9_.-]*\\s*=)[^&;)]*");

    private JdbcUrls() {}

    /**
     * Refuses a URL that carries the login password. The message never repeats the URL.
     *
     * @throws IllegalArgumentException if it carries one
     */
    static void refusePassword(String url) {
        if (PASSWORD_PARAMETER.matcher(url).find()
                || USER_INFO_PASSWORD.matcher(url).find()) {
            throw new IllegalArgumentException("the JDBC URL carries a password: remove it from the URL and give it"
                    + " through the OUTBOX_PASSWORD environment variable, --password-file, or the prompt");
        }
    }

    /** The URL with the values of secret-looking parameters replaced by {@code ***}, for messages. */
    static String masked(String url) {
        String masked = SECRET_VALUE.matcher(url).replaceAll("$1***");
        return USER_INFO_PASSWORD.matcher(masked).replaceAll("//***@");
    }

    /**
     * The dialect of the URL's scheme: {@code jdbc:postgresql:} PostgreSQL, {@code jdbc:mariadb:}
     * MariaDB, {@code jdbc:mysql:} MySQL.
     *
     * @throws IllegalArgumentException for any other scheme (the message names the scheme only)
     */
    static OutboxDialect dialect(String url) {
        if (url.startsWith("jdbc:postgresql:")) {
            return PostgresDialect.create();
        }
        if (url.startsWith("jdbc:mariadb:")) {
            return MariaDbDialect.create();
        }
        if (url.startsWith("jdbc:mysql:")) {
            return MySqlDialect.create();
        }
        throw new IllegalArgumentException("unsupported JDBC URL scheme '" + scheme(url)
                + "': the URL must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:");
    }

    /** {@code jdbc:mariadb} of {@code jdbc:mariadb://host/db}: what may be printed of an unknown URL. */
    static String scheme(String url) {
        int first = url.indexOf(':');
        int second = first < 0 ? -1 : url.indexOf(':', first + 1);
        String scheme = second < 0 ? url : url.substring(0, second);
        return scheme.length() > 40 ? scheme.substring(0, 40) + "..." : scheme;
    }
}
