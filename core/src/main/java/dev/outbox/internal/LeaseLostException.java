package dev.outbox.internal;

/**
 * The one way the consumer engine says "this relay no longer holds the consumer's lease": an
 * epoch-checked write matched no row, or the row's epoch moved, because another relay took the
 * consumer over or it was reset. Thrown inside a transaction it rolls the transaction back; the
 * consumer loop catches it in one place and takes the lease again before it does anything else.
 */
final class LeaseLostException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LeaseLostException() {
        super("the consumer's lease was taken over or reset", null, false, false);
    }
}
