package dev.outbox.spring;

import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/** Loaded only when JPA and Spring's ORM support are on the class path. */
final class JpaFlush {

    private JpaFlush() {}

    /**
     * Flushes every persistence context bound to the current transaction: {@code JpaTransactionManager}
     * flushes only inside its commit, after {@code beforeCommit}, so without this the pending entity
     * updates (and the aggregate row's lock) would come after the events.
     */
    static void flushBound() {
        for (Object resource :
                TransactionSynchronizationManager.getResourceMap().values()) {
            if (resource instanceof EntityManagerHolder holder
                    && holder.getEntityManager().isOpen()) {
                holder.getEntityManager().flush();
            }
        }
    }
}
