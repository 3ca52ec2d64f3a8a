package dev.outbox.micrometer;

/** The names and tag keys of the meters a binding registers; the module's README has the table. */
final class MeterNames {

    static final String TAG_OUTBOX = "outbox";
    static final String TAG_CONSUMER = "consumer";
    static final String TAG_PARTITION = "partition";
    static final String TAG_REACTION = "reaction";

    // sampled from the database (cluster-wide)
    static final String CONSUMER_LAG_EVENTS = "outbox.consumer.lag.events";
    static final String CONSUMER_LAG = "outbox.consumer.lag";
    static final String CONSUMER_PARKED = "outbox.consumer.parked";
    static final String CONSUMER_BLOCKED = "outbox.consumer.blocked";
    static final String CONSUMER_WAITING = "outbox.consumer.waiting";
    static final String CONSUMER_RUNNING = "outbox.consumer.running";
    static final String QUEUE_DEPTH = "outbox.queue.depth";
    static final String QUEUE_OLDEST = "outbox.queue.oldest";

    // counted from this relay's listener callbacks (this relay only)
    static final String CONSUMER_DELIVERED = "outbox.consumer.delivered";
    static final String CONSUMER_BATCH = "outbox.consumer.batch";
    static final String CONSUMER_FAILURES = "outbox.consumer.failures";
    static final String CONSUMER_RETRIES = "outbox.consumer.retries";
    static final String SEQUENCER_BATCHES = "outbox.sequencer.batches";
    static final String SEQUENCER_EVENTS = "outbox.sequencer.events";
    static final String SEQUENCER_BATCH = "outbox.sequencer.batch";

    // read from the relay's memory at each scrape, no database
    static final String SEQUENCER_LEADER = "outbox.sequencer.leader";

    static final String UNIT_EVENTS = "events";
    static final String UNIT_BATCHES = "batches";

    private MeterNames() {}
}
