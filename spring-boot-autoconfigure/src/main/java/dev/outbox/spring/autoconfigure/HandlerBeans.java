package dev.outbox.spring.autoconfigure;

import dev.outbox.EventHandler;
import dev.outbox.OutboxConfigurationException;
import dev.outbox.OutboxConsumer;
import dev.outbox.SessionHandler;
import dev.outbox.TransactionalEventHandler;
import dev.outbox.spring.OutboxHandler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * The consumers of the application's relay: every {@link OutboxConsumer} bean as it is, and every
 * bean annotated {@link OutboxHandler}, with its {@code outbox.consumers.<name>.*} settings.
 */
final class HandlerBeans {

    private HandlerBeans() {}

    static List<OutboxConsumer> consumers(
            ListableBeanFactory beans, OutboxProperties properties, List<OutboxConsumer> consumerBeans) {
        Map<String, String> declaredBy = new LinkedHashMap<>();
        List<OutboxConsumer> consumers = new ArrayList<>();
        for (OutboxConsumer consumer : consumerBeans) {
            if (properties.getConsumers().containsKey(consumer.name())) {
                throw new InvalidConfigurationPropertyValueException(
                        "outbox.consumers." + consumer.name(),
                        consumer.name(),
                        "consumer '" + consumer.name() + "' is an OutboxConsumer bean, built in code:"
                                + " set its options on its builder, or declare its handler with @OutboxHandler"
                                + " to configure it with these properties");
            }
            add(consumers, declaredBy, consumer, "an OutboxConsumer bean");
        }
        for (String beanName : beans.getBeanNamesForAnnotation(OutboxHandler.class)) {
            OutboxHandler annotation = beans.findAnnotationOnBean(beanName, OutboxHandler.class);
            String name = annotation == null || annotation.value().isEmpty() ? beanName : annotation.value();
            OutboxConsumer.Builder builder = builder(name, beanName, beans.getBean(beanName));
            OutboxProperties.Consumer settings = properties.getConsumers().get(name);
            OutboxConsumer consumer;
            try {
                consumer = (settings == null ? builder : settings.applyTo(builder)).build();
            } catch (OutboxConfigurationException e) {
                throw new OutboxConfigurationException("@OutboxHandler bean '" + beanName + "': " + e.getMessage(), e);
            }
            add(consumers, declaredBy, consumer, "@OutboxHandler bean '" + beanName + "'");
        }
        for (String configured : properties.getConsumers().keySet()) {
            if (!declaredBy.containsKey(configured)) {
                throw new InvalidConfigurationPropertyValueException(
                        "outbox.consumers." + configured,
                        configured,
                        "no @OutboxHandler bean declares consumer '" + configured + "'; the consumers are "
                                + declaredBy.keySet());
            }
        }
        return consumers;
    }

    private static OutboxConsumer.Builder builder(String name, String beanName, Object bean) {
        int kinds = (bean instanceof EventHandler ? 1 : 0)
                + (bean instanceof TransactionalEventHandler ? 1 : 0)
                + (bean instanceof SessionHandler ? 1 : 0);
        if (kinds != 1) {
            throw new OutboxConfigurationException("@OutboxHandler bean '" + beanName + "' ("
                    + bean.getClass().getName() + ") must be exactly one of EventHandler,"
                    + " TransactionalEventHandler and SessionHandler, but is "
                    + (kinds == 0 ? "none" : "several") + " of them");
        }
        if (bean instanceof TransactionalEventHandler transactional) {
            return OutboxConsumer.transactional(name, transactional);
        }
        if (bean instanceof SessionHandler sessions) {
            return OutboxConsumer.withSessions(name, sessions);
        }
        return OutboxConsumer.atLeastOnce(name, (EventHandler) bean);
    }

    private static void add(
            List<OutboxConsumer> consumers, Map<String, String> declaredBy, OutboxConsumer consumer, String source) {
        String earlier = declaredBy.putIfAbsent(consumer.name(), source);
        if (earlier != null) {
            throw new OutboxConfigurationException("two consumers are named '" + consumer.name() + "': " + earlier
                    + " and " + source + "; a consumer's name is its checkpoint, give each its own");
        }
        consumers.add(consumer);
    }
}
