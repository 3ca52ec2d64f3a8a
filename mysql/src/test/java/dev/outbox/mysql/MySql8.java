package dev.outbox.mysql;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * Marks a test class that runs on MySQL 8 ({@code MySqlServers.mySql()}). Excluded from the default
 * run, which has MariaDB only; {@code mvn -Pmysql8} (or {@code OUTBOX_TEST_MYSQL_URL} in the
 * environment) includes it, and then a missing server fails the tests instead of skipping them.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Tag("mysql8")
@interface MySql8 {}
