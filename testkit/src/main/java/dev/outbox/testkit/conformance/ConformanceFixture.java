package dev.outbox.testkit.conformance;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Names the {@link OutboxFixture} the conformance suites in the annotated class run on: put it on a
 * subclass of {@link ConformanceSuite}, on a class that holds {@code @Nested} subclasses of suites,
 * or on a subclass of one suite. One instance of the fixture serves every suite of the JVM ({@link
 * OutboxFixture#namedBy(Class)}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
public @interface ConformanceFixture {

    /** The fixture: public, with a public no-argument constructor. */
    Class<? extends OutboxFixture> value();
}
