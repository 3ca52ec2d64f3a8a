package dev.outbox.cli;

/** The process exit codes of every command, listed in {@code outbox --help}. */
final class ExitCodes {

    /** Done; for {@code status}: every consumer healthy. */
    static final int OK = 0;

    /**
     * A problem was found or the operation was refused: {@code status} found a consumer blocked or
     * lagging past {@code --max-lag}; {@code verify} found the schema missing or old; nothing to show,
     * reset or delete under that name; a relay holds the consumer's lease.
     */
    static final int PROBLEM = 1;

    /** The database cannot be reached (or logged into), or the outbox tables are missing. */
    static final int UNAVAILABLE = 2;

    /** The command line is wrong (picocli's usage errors): sysexits.h's EX_USAGE, distinct from 2. */
    static final int USAGE = 64;

    private ExitCodes() {}
}
