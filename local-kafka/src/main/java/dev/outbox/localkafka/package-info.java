/**
 * A real Apache Kafka broker for this repository's tests, benchmarks and example, run from the
 * jars of the local Maven repository in a child JVM: {@link dev.outbox.localkafka.LocalKafka}
 * starts, restarts and removes it, {@link dev.outbox.localkafka.ResponseLossProxy} stands in front
 * of it and loses its responses on demand, {@link dev.outbox.localkafka.LocalConnect} runs a distributed
 * Kafka Connect worker next to it. Both children are started, stopped, killed and cleaned up alike
 * (package-private {@code ChildJvm}), and exit by themselves when the JVM that started them is gone
 * ({@code OrphanGuard}). The broker's and the worker's own jars (Scala, Jackson, Log4j) never reach
 * the class path of the JVM that uses it: only kafka-clients and slf4j do.
 */
@NullMarked
package dev.outbox.localkafka;

import org.jspecify.annotations.NullMarked;
