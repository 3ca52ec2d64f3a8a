package dev.outbox.spring;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Registers a bean as an outbox consumer of the application's relay. The bean is an {@link
 * dev.outbox.EventHandler} (at least once), a {@link dev.outbox.TransactionalEventHandler} (exactly
 * once, in the relay's transaction) or a {@link dev.outbox.SessionHandler}. Put it on the bean's
 * class or on its {@code @Bean} method:
 *
 * <pre>{@code
 * @Component
 * @OutboxHandler("search-index")
 * class SearchIndexer implements EventHandler { ... }
 * }</pre>
 *
 * <p>The consumer's settings (batch size, start position, retry and failure policy, partitions) come
 * from the properties {@code outbox.consumers.<name>.*}. A consumer built in code is an {@link
 * dev.outbox.OutboxConsumer} bean instead.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface OutboxHandler {

    /**
     * The consumer's name: its checkpoint row, its key in {@code outbox.consumers.*}, in status and
     * metrics. Default: the bean's name. Renaming a consumer starts a new one.
     */
    String value() default "";
}
