package dev.outbox.testkit.conformance;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Every conformance suite, as one test class: a database module (or a user's test of their own
 * database and dialect) runs them all with a subclass that names its fixture.
 *
 * <pre>{@code
 * @ConformanceFixture(PostgresFixture.class)
 * class PostgresConformanceTest extends ConformanceSuite {}
 * }</pre>
 *
 * Each suite runs as a {@code @Nested} class of the subclass, on one fixture instance. A suite added
 * to the testkit is added here, so every database runs it from then on; a test of this class fails
 * when one is missing ({@link ConformanceSuites#assertAllRunIn(Class)}).
 */
public abstract class ConformanceSuite {

    /** The fixture named by the {@link ConformanceFixture} of the subclass. */
    protected OutboxFixture fixture() {
        return OutboxFixture.namedBy(getClass());
    }

    @Test
    void shouldRunEveryConformanceSuite() {
        ConformanceSuites.assertAllRunIn(getClass());
    }

    @Nested
    class Writer extends WriterConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Ordering extends OrderingConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Concurrency extends ConcurrencyConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class WakeUp extends WakeUpConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Restart extends RestartConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class ScaleOut extends ScaleOutConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Resilience extends ResilienceConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class ServerRestart extends ServerRestartConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Retention extends RetentionConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class FailurePolicy extends FailurePolicyConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class HandlerFailure extends HandlerFailureConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Migration extends MigrationConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Partition extends PartitionConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Session extends SessionConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class ReadAhead extends ReadAheadConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Observability extends ObservabilityConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }

    @Nested
    class Extension extends ExtensionConformanceTest {
        @Override
        protected OutboxFixture fixture() {
            return ConformanceSuite.this.fixture();
        }
    }
}
